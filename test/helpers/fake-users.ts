/**
 * An in-memory stand-in for the users table as the services reach it through Prisma (`user.*`,
 * `$transaction`, the two row-locking `$queryRaw` reads of AdminUsersService, `adminAudit.create`):
 * enough for service specs of the middle tier. Locking and isolation are not modelled; the e2e
 * suites on PostgreSQL prove those.
 */
import { randomUUID } from 'node:crypto';
import { Prisma, type User } from '../../src/generated/prisma/client';

export interface AuditRow {
  actorId: string;
  targetId: string;
  action: string;
  before?: unknown;
  after?: unknown;
}

export class FakeUsersDb {
  readonly rows = new Map<string, User>();
  readonly audit: AuditRow[] = [];
  /** How many writes (user create/update, audit insert) were made: a refusal makes none. */
  writes = 0;

  add(overrides: Partial<User> = {}): User {
    const at = new Date('2026-12-01T00:00:00.000Z');
    const row: User = {
      id: randomUUID(),
      email: `${randomUUID()}@example.test`,
      passwordHash: 'hash:unused',
      role: 'user',
      disabled: false,
      sessionVersion: 0,
      createdAt: at,
      updatedAt: at,
      ...overrides,
    } as User;
    this.rows.set(row.id, row);
    return row;
  }

  readonly user = {
    findUnique: ({ where }: { where: { id?: string; email?: string } }): Promise<User | null> =>
      Promise.resolve(
        [...this.rows.values()].find((u) => (where.id ? u.id === where.id : u.email === where.email)) ?? null,
      ),
    findMany: ({ skip = 0, take }: { skip?: number; take?: number }): Promise<User[]> =>
      Promise.resolve(
        [...this.rows.values()]
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
          .slice(skip, take === undefined ? undefined : skip + take),
      ),
    count: (): Promise<number> => Promise.resolve(this.rows.size),
    create: ({ data }: { data: Pick<User, 'email' | 'passwordHash' | 'role'> }): Promise<User> => {
      if ([...this.rows.values()].some((u) => u.email === data.email)) {
        return Promise.reject(
          new Prisma.PrismaClientKnownRequestError('Unique constraint failed on the fields: (`email`)', {
            code: 'P2002',
            clientVersion: 'fake',
          }),
        );
      }
      this.writes += 1;
      return Promise.resolve(this.add(data));
    },
    update: ({ where, data }: { where: { id: string }; data: Partial<User> }): Promise<User> => {
      const row = this.rows.get(where.id);
      if (!row) return Promise.reject(new Error(`no user ${where.id}`));
      const defined = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
      const updated = { ...row, ...defined, updatedAt: new Date(row.updatedAt.getTime() + 1000) } as User;
      this.rows.set(row.id, updated);
      this.writes += 1;
      return Promise.resolve(updated);
    },
  };

  readonly adminAudit = {
    create: ({ data }: { data: AuditRow }): Promise<AuditRow> => {
      this.audit.push(data);
      this.writes += 1;
      return Promise.resolve(data);
    },
  };

  /** The two reads AdminUsersService makes under FOR NO KEY UPDATE: the enabled admins, or one user. */
  $queryRaw = (strings: TemplateStringsArray, ...values: unknown[]): Promise<unknown[]> => {
    const sql = strings.join('?');
    if (sql.includes("role = 'admin' AND disabled = false")) {
      const admins = [...this.rows.values()].filter((u) => u.role === 'admin' && !u.disabled);
      return Promise.resolve(admins.map((u) => ({ id: u.id })).sort((a, b) => a.id.localeCompare(b.id)));
    }
    if (sql.includes('WHERE id =')) {
      const row = this.rows.get(String(values[0]));
      return Promise.resolve(row ? [{ id: row.id, role: row.role, disabled: row.disabled }] : []);
    }
    return Promise.reject(new Error(`FakeUsersDb: unexpected query ${sql}`));
  };

  /** Runs `work` with this fake as the transaction client (no rollback: a refusal must write nothing). */
  $transaction = <T>(work: (tx: this) => Promise<T>): Promise<T> => work(this);
}
