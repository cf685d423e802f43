import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createUser, TestUser } from '../auth/fixtures';
import { startApp } from '../helpers/app';
import { testVariables } from '../helpers/env';
import { HaProxy } from '../helpers/haproxy';
import { BuiltServer, freePort, ROOT, startBuiltServer } from '../helpers/processes';

/**
 * Two built gateway instances behind a real HAProxy (deploy/haproxy.cfg): `option forwardfor`,
 * TRUST_PROXY=1, health checks on /health/ready. Clients come from distinct loopback addresses.
 */
const AUTH_LIMIT = 6;
const DRAIN_MS = 3000;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection from `localAddress` (the client's own source address). */
function send(
  url: string,
  method: string,
  path: string,
  options: { localAddress?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method,
        agent: false,
        localAddress: options.localAddress,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(options.headers ?? {}) },
        timeout: 30000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

const randomIp = (): string => Array.from(randomBytes(4)).join('.');

describe('two instances behind HAProxy', () => {
  const vars = testVariables({
    TRUST_PROXY: '1',
    RATE_LIMIT_AUTH_LIMIT: String(AUTH_LIMIT),
    RATE_LIMIT_AUTH_TTL_SECONDS: '300',
    SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    HEALTH_READY_CACHE_MS: '200',
  });
  let ports: [number, number];
  const instances: (BuiltServer | undefined)[] = [];
  let proxy: HaProxy;
  let user: TestUser;

  beforeAll(async () => {
    const seed = await startApp();
    user = await createUser(seed);
    await seed.close();
    ports = [await freePort(), await freePort()];
    const started = await Promise.all(ports.map((port) => startBuiltServer(vars, 60000, port)));
    instances.push(...started);
    proxy = await HaProxy.start(ports, 500);
    await proxy.waitFor((s) => s.length === 2 && s.every((b) => b.status === 'UP'), 'both instances UP');
  }, 90000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => (i ? i.stop() : Promise.resolve())));
    await proxy?.destroy();
  });

  it('gives each client address its own budget, shared across both instances; a spoofed X-Forwarded-For buys nothing', async () => {
    const before = await proxy.stats();
    const attempt = (localAddress: string, headers: Record<string, string> = {}) =>
      send(proxy.url, 'POST', '/v1/auth/refresh', { localAddress, headers, body: { refreshToken: 'x'.repeat(43) } });
    const statuses: { honest: number[]; spoofing: number[] } = { honest: [], spoofing: [] };
    for (let i = 0; i < AUTH_LIMIT + 2; i++) {
      statuses.honest.push((await attempt('127.0.0.2')).status);
      // A new made-up address on every request, and one pretending to be the honest client.
      statuses.spoofing.push(
        (await attempt('127.0.0.3', { 'x-forwarded-for': i % 2 ? randomIp() : '127.0.0.2' })).status,
      );
    }
    for (const list of Object.values(statuses)) {
      expect(list.filter((s) => s !== 429)).toHaveLength(AUTH_LIMIT);
      expect(list.slice(AUTH_LIMIT)).toEqual([429, 429]);
    }
    // Both instances took part: the budget is one, whichever instance answers.
    const after = await proxy.stats();
    for (const backend of after) {
      const served = backend.requests - before.find((b) => b.name === backend.name)!.requests;
      expect(served).toBeGreaterThanOrEqual(AUTH_LIMIT);
    }
    // A third address still has its whole budget.
    expect((await attempt('127.0.0.4')).status).not.toBe(429);
  });

  it('validates the nginx equivalent (deploy/nginx.conf) with nginx -t', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-nginx-'));
    try {
      const config = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8')
        .replaceAll('{{PID_FILE}}', join(dir, 'nginx.pid'))
        .replaceAll('{{TEMP_DIR}}', dir)
        .replaceAll('{{BIND}}', `127.0.0.1:${await freePort()}`)
        .replaceAll('{{PORT_1}}', String(ports[0]))
        .replaceAll('{{PORT_2}}', String(ports[1]));
      writeFileSync(join(dir, 'nginx.conf'), config);
      const { stderr } = await promisify(execFile)('/usr/sbin/nginx', [
        '-t',
        '-p',
        dir,
        '-e',
        'stderr',
        '-c',
        join(dir, 'nginx.conf'),
      ]);
      expect(stderr).toMatch(/test is successful/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restarts one instance under steady load without failing a request (only a retryable 503 is allowed)', async () => {
    const login = await send(proxy.url, 'POST', '/v1/auth/login', {
      body: { email: user.email, password: user.password },
    });
    expect(login.status).toBe(200);
    const token = (JSON.parse(login.body) as { accessToken: string }).accessToken;

    const outcomes = new Map<string, number>();
    const note = (what: string): void => void outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    let running = true;
    let maxLatencyMs = 0;
    const worker = async (): Promise<void> => {
      while (running) {
        const started = Date.now();
        try {
          // The token check (a user lookup) and a payment lookup: two queries, no provider call.
          const res = await fetch(`${proxy.url}/v1/payments/${randomUUID()}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const text = await res.text();
          if (
            res.status === 503 &&
            res.headers.get('retry-after') &&
            /^application\/problem\+json/.test(res.headers.get('content-type') ?? '')
          )
            note('503 retryable');
          else
            note(res.status === 404 && text.includes('NOT_FOUND') ? 'answered' : `${res.status} ${text.slice(0, 80)}`);
        } catch (error) {
          note(`network error: ${(error as Error).message}`);
        }
        maxLatencyMs = Math.max(maxLatencyMs, Date.now() - started);
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, worker));
    const timeline: string[] = [];
    const mark = (what: string): void => void timeline.push(`${what} @${Date.now() - t0}ms`);
    const t0 = Date.now();
    try {
      await sleep(1000);
      mark('SIGTERM gw1');
      const exiting = instances[0]!.stop();
      await proxy.waitFor((s) => s.find((b) => b.name === 'gw1')?.status.startsWith('DOWN') === true, 'gw1 DOWN');
      mark('HAProxy: gw1 DOWN');
      // Readiness through the balancer: still 200, answered by the instance that is up.
      expect((await send(proxy.url, 'GET', '/health/ready')).status).toBe(200);
      const exit = await exiting;
      mark(`gw1 exited (${exit.signal ?? exit.code})`);
      instances[0] = undefined;
      instances[0] = await startBuiltServer(vars, 60000, ports[0]);
      mark('gw1 listening again');
      await proxy.waitFor((s) => s.find((b) => b.name === 'gw1')?.status === 'UP', 'gw1 UP again');
      mark('HAProxy: gw1 UP');
      const back = (await proxy.stats()).find((b) => b.name === 'gw1')!.requests;
      await proxy.waitFor((s) => s.find((b) => b.name === 'gw1')!.requests > back, 'gw1 serving again');
      await sleep(1000);
    } finally {
      running = false;
      await load;
    }
    const summary = Object.fromEntries(outcomes);
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(
      `rolling restart: ${total} requests ${JSON.stringify(summary)}, max latency ${maxLatencyMs} ms; ${timeline.join(', ')}\n`,
    );
    const failures = Object.keys(summary).filter((k) => k !== 'answered' && k !== '503 retryable');
    expect(failures).toEqual([]);
    expect(summary.answered).toBeGreaterThan(0);
  }, 120000);

  it('answers readiness 503 through the balancer once no instance is ready', async () => {
    expect((await send(proxy.url, 'GET', '/health/ready')).status).toBe(200);
    await Promise.all(instances.map((i) => (i ? i.stop() : Promise.resolve())));
    instances.length = 0;
    await proxy.waitFor((s) => s.every((b) => b.status.startsWith('DOWN')), 'both instances DOWN');
    expect((await send(proxy.url, 'GET', '/health/ready')).status).toBe(503);
  }, 60000);
});
