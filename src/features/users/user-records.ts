import type { PrismaClient, Role, User } from '../../generated/prisma/client';
import type { PasswordHasher } from './credentials/password-hasher';
import { isUniqueViolation } from '../../platform/database/unique-violation';
import { normalizeEmail } from './credentials/email';
import { assertGuessResistant } from './credentials/password-strength';

export type UserRole = Role;

/** What the API may show of a user: never the password hash. */
export interface PublicUser {
  id: string;
  email: string;
  role: UserRole;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toPublicUser(user: User): PublicUser {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export class DuplicateEmailError extends Error {
  constructor() {
    super('a user with this email already exists');
    this.name = 'DuplicateEmailError';
  }
}

/**
 * Inserts a user with an argon2id hash of `password`. Shared by UsersService and the
 * `user:create` CLI (which runs without the Nest application), so every path that sets a password
 * refuses a guessable one (WeakPasswordError) before any hashing or write.
 */
export async function insertUser(
  db: Pick<PrismaClient, 'user'>,
  hasher: PasswordHasher,
  input: { email: string; password: string; role: UserRole },
): Promise<User> {
  return insertHashedUser(db, {
    email: input.email,
    passwordHash: await hashNewPassword(hasher, input.password, input.email),
    role: input.role,
  });
}

/**
 * The hash of a password being set for `email`. Every path that sets a password goes through here,
 * so each refuses a guessable one (WeakPasswordError) before any hashing or write.
 */
export async function hashNewPassword(hasher: PasswordHasher, password: string, email: string): Promise<string> {
  await assertGuessResistant(password, [normalizeEmail(email)]);
  return hasher.hash(password);
}

/** Inserts a user whose password is already hashed (so a transaction need not wait for argon2). */
export async function insertHashedUser(
  db: Pick<PrismaClient, 'user'>,
  input: { email: string; passwordHash: string; role: UserRole },
): Promise<User> {
  try {
    return await db.user.create({
      data: { email: normalizeEmail(input.email), passwordHash: input.passwordHash, role: input.role },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateEmailError();
    throw error;
  }
}
