import { Test } from '@nestjs/testing';
import { FakeUsersDb } from '../../../test/helpers/fake-users';
import { PrismaService } from '../../platform/database/prisma.service';
import { PasswordHasher } from './credentials/password-hasher';
import { UsersService } from './users.service';

describe('UsersService (in-memory users)', () => {
  let db: FakeUsersDb;
  let users: UsersService;

  beforeEach(async () => {
    db = new FakeUsersDb();
    const moduleRef = await Test.createTestingModule({
      providers: [
        UsersService,
        { provide: PrismaService, useValue: db },
        { provide: PasswordHasher, useValue: { hash: (p: string) => Promise.resolve(`hash:${p.length}`) } },
      ],
    }).compile();
    users = moduleRef.get(UsersService);
  });

  it('creates a user with a normalized email and shows no password hash', async () => {
    const outcome = await users.create({ email: ' Ann@Example.TEST', password: 'twelve chars', role: 'admin' });
    expect(outcome).toEqual({
      kind: 'created',
      user: expect.objectContaining({ email: 'ann@example.test', role: 'admin', disabled: false }),
    });
    expect(JSON.stringify(outcome)).not.toMatch(/hash/);
  });

  it('answers email-taken for an email in use, whatever its case', async () => {
    await users.create({ email: 'ann@example.test', password: 'twelve chars', role: 'user' });
    await expect(users.create({ email: 'ANN@example.test', password: 'twelve chars', role: 'user' })).resolves.toEqual({
      kind: 'email-taken',
    });
    expect(db.rows.size).toBe(1);
  });

  it('finds a user by email case-insensitively', async () => {
    const row = db.add({ email: 'bob@example.test' });
    await expect(users.findByEmail('  BOB@example.test ')).resolves.toEqual(row);
    await expect(users.findByEmail('nobody@example.test')).resolves.toBeNull();
  });

  it('pages users in creation order with the total', async () => {
    const made = [0, 1, 2].map((i) => db.add({ createdAt: new Date(Date.UTC(2026, 0, 1 + i)) }));
    const second = await users.list(2, 2);
    expect(second).toMatchObject({ page: 2, pageSize: 2, total: 3 });
    expect(second.items.map((u) => u.id)).toEqual([made[2]?.id]);
  });
});
