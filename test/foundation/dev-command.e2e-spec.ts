import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants, freePort, isAlive, ManagedProcess, startProcess, waitFor } from '../../tools/harness';
import { http } from '../helpers/app';
import { ROOT } from '../helpers/processes';
import { must } from '../helpers/must';

/**
 * `npm run dev` end to end, with no DATABASE_URL and no REDIS_URL: embedded PostgreSQL, a private
 * redis-server, the stand-in provider and the gateway (from the build: `--no-watch`), started in a
 * temp folder instead of .dev/. Slow on purpose (initdb, migrations, two starts): bounded at 5 min.
 */
describe('npm run dev (no variables set)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-dev-e2e-'));
  let dev: ManagedProcess | undefined;

  const start = async (): Promise<{ url: string; email: string; password: string; output: string }> => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port) };
    // Offline Prisma engine when the caller chose one (never set by the dev command itself).
    if (process.env.PRISMA_SCHEMA_ENGINE_BINARY)
      env.PRISMA_SCHEMA_ENGINE_BINARY = process.env.PRISMA_SCHEMA_ENGINE_BINARY;
    dev = await startProcess({
      name: 'npm run dev',
      command: process.execPath,
      args: ['--import', 'tsx', join(ROOT, 'tools/dev/main.ts'), '--dir', dir, '--no-watch'],
      cwd: ROOT,
      env,
      ready: { output: /Ctrl-C stops everything/ },
      timeoutMs: 180_000,
    });
    const output = dev.output();
    const url = /^Gateway: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output)?.[1];
    const [, email, password] = /^Admin: (\S+) \/ (.+)$/m.exec(output) ?? [];
    expect(url).toBe(`http://127.0.0.1:${port}`);
    // As in production: migrated as the owner, served as a fresh member of gateway_runtime.
    expect(output).toMatch(/the gateway runs as role gw_dev_[0-9a-f]{8} \(member of gateway_runtime/);
    expect(output).not.toContain('least-privilege');
    return {
      url: must(url, 'the Gateway line'),
      email: must(email, "the dev admin's email"),
      password: must(password, "the dev admin's password"),
      output,
    };
  };

  /** SIGINT to the dev process alone (as Ctrl-C would); everything it started must go with it. */
  const interrupt = async (): Promise<void> => {
    const children = descendants(dev!.pid);
    expect(children.length).toBeGreaterThanOrEqual(3); // postgres, redis-server, gateway (at least)
    process.kill(dev!.pid, 'SIGINT');
    const exit = await dev!.exited;
    expect(exit.code).toBe(0);
    await waitFor('every process the dev command started to exit', () => children.every((pid) => !isAlive(pid)), {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    expect(children.filter(isAlive)).toEqual([]);
  };

  const login = async (url: string, email: string, password: string): Promise<string> => {
    const res = await http<{ accessToken: string }>(url, 'POST', '/v1/auth/login', { body: { email, password } });
    expect(res.status).toBe(200);
    return res.body.accessToken;
  };

  afterAll(async () => {
    if (dev?.running()) await dev.stop({ signal: 'SIGINT', graceMs: 30_000 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the gateway and a working admin, takes a payment, stops cleanly, and keeps its data', async () => {
    const first = await start();
    expect(statSync(join(dir, 'env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'admin.txt')).mode & 0o777).toBe(0o600);
    const token = await login(first.url, first.email, first.password);
    const payment = await http<{ id: string }>(first.url, 'POST', '/v1/payments', {
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
      body: { amount: 1250, currency: 'EUR', recipientId: randomUUID() },
    });
    expect(payment.status).toBe(201);
    await interrupt();

    // Second start: same folder, same data; the password is not printed again.
    const second = await start();
    expect(second.password).not.toBe(first.password);
    expect(second.password).toContain('admin.txt');
    const again = await login(second.url, first.email, first.password);
    const stored = await http(second.url, 'GET', `/v1/payments/${payment.body.id}`, {
      headers: { authorization: `Bearer ${again}` },
    });
    expect(stored.status).toBe(200);
    await interrupt();
  }, 300_000);
});
