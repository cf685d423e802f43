import { Inject, Injectable } from '@nestjs/common';
import type { User } from '../../generated/prisma/client';
import { PasswordHasher } from './credentials/password-hasher';
import { PrismaService } from '../../platform/database/prisma.service';
import { normalizeEmail } from './credentials/email';
import { WeakPasswordError } from './credentials/password-strength';
import { DuplicateEmailError, insertUser, PublicUser, toPublicUser, UserRole } from './user-records';

/**
 * What creating a user did: the new user, or nothing because the (normalized) email is in use or
 * the password is guessable (`reason` says why, never containing the password).
 */
export type UserCreation =
  { kind: 'created'; user: PublicUser } | { kind: 'email-taken' } | { kind: 'weak-password'; reason: string };

export interface UserPage {
  items: PublicUser[];
  page: number;
  pageSize: number;
  total: number;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
  ) {}

  findByEmail(email: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { email: normalizeEmail(email) } });
  }

  findById(id: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { id } });
  }

  /** Creates a user, or answers `email-taken` when the (normalized) email is in use, `weak-password` for a guessable password. */
  async create(input: { email: string; password: string; role: UserRole }): Promise<UserCreation> {
    try {
      return { kind: 'created', user: toPublicUser(await insertUser(this.prisma, this.hasher, input)) };
    } catch (error) {
      if (error instanceof DuplicateEmailError) return { kind: 'email-taken' };
      if (error instanceof WeakPasswordError) return { kind: 'weak-password', reason: error.reason };
      throw error;
    }
  }

  async list(page: number, pageSize: number): Promise<UserPage> {
    const [rows, total] = await Promise.all([
      this.prisma.user.findMany({
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        skip: (page - 1) * pageSize,
        take: pageSize,
      }),
      this.prisma.user.count(),
    ]);
    return { items: rows.map(toPublicUser), page, pageSize, total };
  }
}
