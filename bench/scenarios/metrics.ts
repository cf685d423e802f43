import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import type { MetricsService } from '../../src/platform/metrics/metrics.service';
import { freePort, ManagedProcess, sleep, startProcess } from '../../tools/harness';
import { onCleanup } from '../lib/cleanup';
import type { BenchContext, ScenarioResult } from '../lib/context';
import {
  GrafanaBoard,
  panelQueries,
  RenderedPanel,
  renderDashboardHtml,
  legend,
  Series,
} from '../lib/dashboard-render';
import { BenchUser, JsonAnswer, postJson, TokenPair } from '../lib/gateway';
import { alternate, cannon, Medians, mediansOf, Run, Variant } from '../lib/load';
import { GATEWAY_SCRIPT, ROOT, Server, ServerOptions, spawnServer } from '../lib/servers';
import { ratioRange, round } from '../lib/stats';

/** Where a run's dashboard goes (ignored); `npm run bench:promote` copies it to the tracked one. */
export const dashboardFile = (stamp: string): string => `bench/results/runs/${stamp}-metrics-dashboard.html`;

export interface SessionCounts {
  logins: number;
  wrongLogins: number;
  locked: number;
  rotations: number;
  reuse: number;
  payments: number;
  failedPayments: number;
  limited: number;
}

export interface DashboardRendered {
  status: 'ok';
  file: string;
  panels: number;
  session: SessionCounts;
  alerts: string[];
  seconds: number;
}

export type DashboardFigures = DashboardRendered | { status: 'failed'; reason: string };

export type MetricsFigures = Record<'off' | 'on', Medians> & {
  /** Median over rounds of on/off req/s, each round on a fresh pair of processes; and its range. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  cpuRatio: number;
  costPercent: number;
  hookMicros: number;
  boundPercent: number;
  runs: Record<'off' | 'on', Run[]>;
  dashboard: DashboardFigures;
};

/**
 * Metrics: (1) the cost of metrics on protected requests: GET /v1/auth/me on two fresh gateways,
 * one with METRICS_PORT (HTTP histogram, counters, default process metrics) and one without,
 * alternating, a fresh pair every round; target: metrics on keeps >= 95 % of the req/s. (2) The dashboard rendered from a
 * real run: a third gateway with realistic limits is scraped every second by a real Prometheus
 * (Debian package `prometheus`) while a scripted session (logins right and wrong, a lockout,
 * refresh reuse, 429s, a provider outage that opens the breaker) runs; every panel of
 * deploy/grafana/gateway.json is queried from Prometheus and drawn into
 * bench/results/runs/<stamp>-metrics-dashboard.html (`npm run bench:promote` copies it to the
 * tracked bench/promoted/metrics-dashboard.html).
 */
export async function metrics(ctx: BenchContext): Promise<ScenarioResult<MetricsFigures>> {
  const { gatewayEnv, settings, log } = ctx;
  const session = ctx.session;
  if (!session) return { status: 'skipped', reason: ctx.authMissing };

  const headers = { authorization: `Bearer ${session.accessToken}` };
  const run =
    (server: Server): Variant =>
    (duration = settings.duration) =>
      cannon(
        { url: `${server.url}/v1/auth/me`, headers, connections: settings.connections, duration },
        { cpuPid: server.pid },
      );
  const spawnGateway = async (variant: 'off' | 'on'): Promise<Server> =>
    spawnWithRetry(async () => ({
      label: `gateway (metrics ${variant})`,
      script: GATEWAY_SCRIPT,
      env:
        variant === 'on'
          ? { ...gatewayEnv, METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1' }
          : gatewayEnv,
      readyPath: '/health/ready',
    }));
  // A fresh pair of processes every round: two processes of the same build differ by several per
  // cent in throughput (where the OS and the JIT place them), as much as the cost measured here, so
  // one pair for all rounds would report that difference as the cost. Each round's ratio is taken
  // within its pair; the median and min-max over rounds are reported.
  const runs: Record<'off' | 'on', Run[]> = { off: [], on: [] };
  for (let r = 0; r < settings.rounds; r++) {
    const order: Array<'off' | 'on'> = r % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    const servers = {} as Record<'off' | 'on', Server>;
    for (const variant of order) servers[variant] = await spawnGateway(variant);
    try {
      const pair = await alternate(
        // Measured in the order they were started, which swaps every round.
        Object.fromEntries(order.map((variant) => [variant, run(servers[variant])])) as Record<'off' | 'on', Variant>,
        { rounds: 1, warmupSeconds: settings.warmup, log: (line) => log(line.replace('round 1', `round ${r + 1}`)) },
      );
      runs.off.push(...pair.runs.off);
      runs.on.push(...pair.runs.on);
    } finally {
      await Promise.all([servers.off.stop(), servers.on.stop()]);
    }
  }
  const medians = { off: mediansOf(runs.off), on: mediansOf(runs.on) };
  const range = ratioRange(runs, 'on', 'off');
  const ratio = range.median;
  const cpuRatio = ratioRange(runs, 'off', 'on', (x) => x.serverCpuMicrosPerRequest ?? NaN).median;
  const costPercent = round((1 - ratio) * 100, 1);
  log(
    `  metrics on/off: ${ratio} (${range.min}-${range.max}) of req/s (cost ${costPercent} %), CPU per request ratio ${cpuRatio}`,
  );
  // The same question without the machine's noise: the CPU the per-request metrics work itself takes
  // (label lookup, counter, histogram, the hook's clock read), against a protected request's CPU.
  const hookMicros = await perRequestMetricsMicros();
  const boundPercent = round((hookMicros / (medians.off.serverCpuMicrosPerRequest ?? NaN)) * 100, 3);
  log(`  per-request metrics work: ${hookMicros} µs CPU = ${boundPercent} % of a protected request's CPU`);

  let dashboard: DashboardFigures;
  try {
    const rendered = await renderFromRun(ctx, session);
    log(`  dashboard: ${rendered.panels} panels rendered to ${rendered.file}`);
    dashboard = rendered;
  } catch (error) {
    dashboard = { status: 'failed', reason: (error as Error).message };
    log(`  dashboard render failed: ${(error as Error).stack}`);
  }

  return {
    status: 'ok',
    figures: {
      ...medians,
      ratio,
      ratioMin: range.min,
      ratioMax: range.max,
      cpuRatio,
      costPercent,
      hookMicros,
      boundPercent,
      runs,
      dashboard,
    },
    target: { text: 'metrics on keeps >= 0.95 x protected req/s', value: ratio, met: ratio >= 0.95 },
    valid: medians.on.non2xx === 0 && medians.off.non2xx === 0,
  };
}

/** CPU microseconds per request of MetricsService.httpResponse (what the onResponse hook runs), in process. */
async function perRequestMetricsMicros(): Promise<number> {
  // The built service, the code the gateways above ran (tsx would not emit its decorator metadata).
  const built = (await import(pathToFileURL(join(ROOT, 'dist/platform/metrics/metrics.service.js')).href)) as {
    MetricsService: typeof MetricsService;
  };
  const service = new built.MetricsService(true);
  const routes = ['/v1/auth/me', '/v1/payments/:id', '/v1/payments', undefined];
  const call = (i: number): void => {
    const t0 = performance.now();
    service.httpResponse(
      i % 7 === 0 ? 'POST' : 'GET',
      routes[i & 3],
      i % 5 === 0 ? 404 : 200,
      (performance.now() - t0) / 1000,
    );
  };
  for (let i = 0; i < 200000; i++) call(i);
  const n = 1000000;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) call(i);
  const used = process.cpuUsage(before);
  return round((used.user + used.system) / n, 3);
}

/**
 * Spawns a server, retrying when a loaded machine makes it miss the readiness deadline. `options`
 * is called per attempt (a fresh METRICS_PORT: the slow attempt may still hold its own).
 */
async function spawnWithRetry(options: () => ServerOptions | Promise<ServerOptions>, attempts = 3): Promise<Server> {
  for (let i = 1; ; i++) {
    try {
      return await spawnServer(await options());
    } catch (error) {
      if (i >= attempts) throw error;
    }
  }
}

interface SwitchableProvider {
  url: string;
  fail(value: boolean): void;
}

/** A provider stand-in whose answers the script switches: succeed, or 500. */
async function switchableProvider(): Promise<SwitchableProvider> {
  let failing = false;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (failing) {
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}');
        return;
      }
      response
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: `ch_${randomUUID()}`, status: 'succeeded' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup('close switchable provider', () => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fail: (value) => {
      failing = value;
    },
  };
}

interface Prometheus {
  url: string;
  process: ManagedProcess;
}

async function startPrometheus(targetHostPort: string): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-prometheus-'));
  onCleanup('remove prometheus data', () => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(join(ROOT, 'deploy/prometheus/alerts.yml'))}]`,
      'scrape_configs:',
      '  - job_name: gateway',
      `    static_configs: [{ targets: [${JSON.stringify(targetHostPort)}] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startProcess({
    name: 'prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    discardStdout: true,
    ready: { probe: async () => (await fetch(`${url}/-/ready`)).ok },
    timeoutMs: 30_000,
  });
  onCleanup('stop prometheus', () => child.stop({ signal: 'SIGTERM', graceMs: 5000 }));
  return { url, process: child };
}

interface PromRange {
  result: { metric: Record<string, string>; values: [number, string][] }[];
}

async function promQuery(prometheus: Prometheus, path: string, params: Record<string, string>): Promise<PromRange> {
  const response = await fetch(`${prometheus.url}/api/v1/${path}?${new URLSearchParams(params)}`);
  const body = (await response.json()) as { status: string; error?: string; data: PromRange };
  if (body.status !== 'success') throw new Error(`prometheus ${path} failed: ${body.error}`);
  return body.data;
}

/** The scripted session; returns what it did, for the report's notes. */
async function scriptedSession(
  gatewayUrl: string,
  provider: SwitchableProvider,
  user: BenchUser,
): Promise<SessionCounts> {
  const did: SessionCounts = {
    logins: 0,
    wrongLogins: 0,
    locked: 0,
    rotations: 0,
    reuse: 0,
    payments: 0,
    failedPayments: 0,
    limited: 0,
  };
  const loginAs = async (email: string, password: string): Promise<JsonAnswer<TokenPair>> => {
    const result = await postJson<TokenPair>(`${gatewayUrl}/v1/auth/login`, { email, password });
    if (result.status === 200) did.logins += 1;
    else if (result.status === 401) did.wrongLogins += 1;
    else if (result.status === 423) did.locked += 1;
    else if (result.status === 429) did.limited += 1;
    return result;
  };
  const pay = (token: string): Promise<JsonAnswer> =>
    postJson(
      `${gatewayUrl}/v1/payments`,
      { amount: 1000, currency: 'EUR', recipientId: randomUUID() },
      { authorization: `Bearer ${token}`, 'idempotency-key': randomBytes(12).toString('base64url') },
    );
  const signedIn = (answer: JsonAnswer<TokenPair>): TokenPair => {
    if (!answer.body?.accessToken)
      throw new Error(`scripted login answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    return answer.body;
  };

  await sleep(3000);
  let pair: TokenPair | undefined;
  for (let i = 0; i < 6; i++) {
    pair = signedIn(await loginAs(user.email, user.password));
    await loginAs(user.email, randomBytes(12).toString('base64url'));
    await sleep(300);
  }
  if (!pair) throw new Error('the scripted session logged in no time');
  await loginAs(user.email, user.password); // clears the user's failures
  await sleep(2000);
  const victim = `victim-${randomBytes(4).toString('hex')}@bench.invalid`;
  for (let i = 0; i < 5; i++) await loginAs(victim, randomBytes(12).toString('base64url'));
  await sleep(2000);
  for (let i = 0; i < 3; i++) {
    const first = await postJson(`${gatewayUrl}/v1/auth/refresh`, { refreshToken: pair.refreshToken });
    if (first.status === 200) did.rotations += 1;
    const again = await postJson(`${gatewayUrl}/v1/auth/refresh`, { refreshToken: pair.refreshToken });
    if (again.body?.code === 'TOKEN_REUSED') did.reuse += 1;
    pair = signedIn(await loginAs(user.email, user.password));
    await sleep(500);
  }
  const token = pair.accessToken;
  await sleep(1500);
  for (let i = 0; i < 8; i++) {
    if ((await pay(token)).status === 201) did.payments += 1;
    await sleep(250);
  }
  provider.fail(true);
  for (let i = 0; i < 10; i++) {
    if ((await pay(token)).status !== 201) did.failedPayments += 1;
    await sleep(400);
  }
  provider.fail(false);
  await sleep(2000);
  // Past the auth limit: 429s.
  for (let i = 0; i < 40; i++) await loginAs(`flood-${i}@bench.invalid`, 'wrong-password-123');
  await sleep(9000); // the breaker's half-open probe window passes
  for (let i = 0; i < 4; i++) {
    if ((await pay(token)).status === 201) did.payments += 1;
    await sleep(500);
  }
  await sleep(4000);
  return did;
}

/** Background load that can be stopped early (autocannon's instance, as a promise). */
function backgroundLoad(options: autocannon.Options): { stop(): void; done: Promise<unknown> } {
  let instance: autocannon.Instance | undefined;
  const done = new Promise((resolve, reject) => {
    instance = autocannon(options, (error: unknown, result) => (error ? reject(error as Error) : resolve(result)));
  });
  return { stop: () => instance?.stop(), done };
}

async function renderFromRun(ctx: BenchContext, session: TokenPair): Promise<DashboardRendered> {
  const { gatewayEnv, log } = ctx;
  if (!ctx.user) throw new Error('no bench user');
  const provider = await switchableProvider();
  let metricsPort = 0;
  const gateway = await spawnWithRetry(async () => ({
    label: 'gateway (dashboard run)',
    script: GATEWAY_SCRIPT,
    env: {
      ...gatewayEnv,
      METRICS_PORT: String((metricsPort = await freePort())),
      METRICS_HOST: '127.0.0.1',
      PAYMENT_PROVIDER_URL: provider.url,
      PAYMENT_PROVIDER_RETRIES: '0',
      PAYMENT_PROVIDER_TIMEOUT_MS: '1000',
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_HALF_OPEN_AFTER_MS: '8000',
      RATE_LIMIT_AUTH_LIMIT: '40',
      RATE_LIMIT_AUTH_TTL_SECONDS: '120',
      LOCKOUT_THRESHOLD: '3',
      // Its own key space, so the shared bench prefix's budgets do not leak in.
      REDIS_KEY_PREFIX: `${gatewayEnv.REDIS_KEY_PREFIX}dash:`,
    },
    readyPath: '/health/ready',
  }));
  const prometheus = await startPrometheus(`127.0.0.1:${metricsPort}`);
  const start = Math.floor(Date.now() / 1000);
  // Background traffic for the whole session: protected reads (a payment that is not there: 404
  // from the controller, under the global limit only) and unknown URLs, at a modest rate.
  const background = [`/v1/payments/${randomUUID()}`, `/no-such-${randomBytes(3).toString('hex')}`].map((path, i) =>
    backgroundLoad({
      url: gateway.url + path,
      headers: { authorization: `Bearer ${session.accessToken}` },
      connections: 2,
      overallRate: i === 0 ? 40 : 5,
      duration: 50,
    }),
  );
  const did = await scriptedSession(gateway.url, provider, ctx.user);
  for (const load of background) load.stop();
  await Promise.allSettled(background.map((load) => load.done));
  await sleep(3000); // the last scrapes
  const end = Math.floor(Date.now() / 1000);

  const board = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/gateway.json'), 'utf8')) as GrafanaBoard;
  const rendered: RenderedPanel[] = [];
  for (const panel of panelQueries(board)) {
    const series: Series[] = [];
    for (const { query, legendFormat } of panel.queries) {
      const data = await promQuery(prometheus, 'query_range', { query, start: `${start}`, end: `${end}`, step: '1' });
      for (const result of data.result) {
        series.push({
          name: legend(legendFormat, result.metric),
          points: result.values.map(([t, v]) => [t, Number(v)]),
        });
      }
    }
    rendered.push({ row: panel.row, title: panel.title, description: panel.description, unit: panel.unit, series });
  }
  const alerts = await promQuery(prometheus, 'query_range', {
    query: 'ALERTS',
    start: `${start}`,
    end: `${end}`,
    step: '1',
  });
  const alertStates = [...new Set(alerts.result.map((r) => `${r.metric.alertname} (${r.metric.alertstate})`))];
  await prometheus.process.stop({ signal: 'SIGTERM', graceMs: 5000 });
  await gateway.stop();

  const file = dashboardFile(ctx.stamp);
  mkdirSync(join(ROOT, 'bench/results/runs'), { recursive: true });
  writeFileSync(
    join(ROOT, file),
    renderDashboardHtml(rendered, {
      title: `Hardened gateway dashboard, rendered from a ${end - start} s bench run (${new Date(start * 1000).toISOString()})`,
      start,
      end,
      notes: [
        'Every panel of deploy/grafana/gateway.json, queried from a real Prometheus scraping the gateway every second ($__rate_interval = 5s).',
        `Scripted session: ${JSON.stringify(did)}; background: GET /v1/payments/:id (a missing payment) at 40/s and an unknown URL at 5/s.`,
        `Alerts seen by that Prometheus (deploy/prometheus/alerts.yml): ${alertStates.length ? alertStates.join(', ') : 'none'}.`,
      ],
    }),
  );
  log(`  session: ${JSON.stringify(did)}; alerts: ${alertStates.join(', ') || 'none'}`);
  return {
    status: 'ok',
    file,
    panels: rendered.length,
    session: did,
    alerts: alertStates,
    seconds: end - start,
  };
}
