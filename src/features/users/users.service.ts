import { Inject, Injectable } from '@nestjs/common';
import type { User } from '../../generated/prisma/client';
import { PasswordHasher } from '../auth/credentials/password-hasher';
import { PrismaService } from '../../platform/database/prisma.service';
import { ErrorCode, problem } from '../../platform/problems';
import { WeakPasswordError } from '../auth/credentials/password-strength';
import { normalizeEmail } from '../auth/credentials/email';
import {
  DuplicateEmailError,
  insertUser,
  PublicUser,
  toPublicUser,
  UserRole,
  weakPasswordProblem,
} from './user-records';

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

  /** Creates a user; 400 VALIDATION_FAILED (field `password`) for a guessable password; 409 CONFLICT if the (normalized) email is taken. */
  async create(input: { email: string; password: string; role: UserRole }): Promise<PublicUser> {
    try {
      return toPublicUser(await insertUser(this.prisma, this.hasher, input));
    } catch (error) {
      if (error instanceof WeakPasswordError) {
        throw weakPasswordProblem(error);
      }
      if (error instanceof DuplicateEmailError) {
        throw problem(ErrorCode.CONFLICT, 'A user with this email already exists.');
      }
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
