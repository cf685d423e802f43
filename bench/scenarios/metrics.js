'use strict';

const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { createServer } = require('node:http');
const { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { cannon, alternate } = require('../lib/load');
const { postJson, login } = require('../lib/gateway');
const { ROOT, onCleanup, freePort, spawnServer, sleep } = require('../lib/processes');
const { round } = require('../lib/stats');
const { renderDashboardHtml, legend } = require('../lib/dashboard-render');

/**
 * Metrics: (1) the cost of metrics on protected requests: GET /v1/auth/me on two fresh gateways,
 * one with METRICS_PORT (HTTP histogram, counters, default process metrics) and one without,
 * alternating; target: metrics on keeps >= 95 % of the req/s. (2) The dashboard rendered from a
 * real run: a third gateway with realistic limits is scraped every second by a real Prometheus
 * (Debian package `prometheus`) while a scripted session (logins right and wrong, a lockout,
 * refresh reuse, 429s, a provider outage that opens the breaker) runs; every panel of
 * deploy/grafana/gateway.json is queried from Prometheus and drawn into
 * bench/results/metrics-dashboard.html.
 */
module.exports = async function metrics(ctx) {
  const { gatewayEnv, settings, log } = ctx;
  if (!ctx.session) return { status: 'skipped', reason: ctx.authMissing };

  const off = await spawnWithRetry({
    label: 'gateway (metrics off)',
    script: join(ROOT, 'dist/main.js'),
    env: gatewayEnv,
    readyPath: '/health/ready',
  });
  const on = await spawnWithRetry(async () => ({
    label: 'gateway (metrics on)',
    script: join(ROOT, 'dist/main.js'),
    env: { ...gatewayEnv, METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1' },
    readyPath: '/health/ready',
  }));
  const headers = { authorization: `Bearer ${ctx.session.accessToken}` };
  const run =
    (server) =>
    (duration = settings.duration) =>
      cannon(
        { url: `${server.url}/v1/auth/me`, headers, connections: settings.connections, duration },
        { cpuPid: server.pid },
      );
  const { runs, medians } = await alternate({ off: run(off), on: run(on) }, { rounds: settings.rounds, log });
  await Promise.all([off.stop(), on.stop()]);
  const ratio = round(medians.on.requestsPerSecond / medians.off.requestsPerSecond, 3);
  const cpuRatio = round(medians.off.serverCpuMicrosPerRequest / medians.on.serverCpuMicrosPerRequest, 3);
  const costPercent = round((1 - ratio) * 100, 1);
  log(`  metrics on/off: ${ratio} of req/s (cost ${costPercent} %), CPU per request ratio ${cpuRatio}`);
  // The same question without the machine's noise: the CPU the per-request metrics work itself takes
  // (label lookup, counter, histogram, the hook's clock read), against a protected request's CPU.
  const hookMicros = perRequestMetricsMicros();
  const boundPercent = round((hookMicros / medians.off.serverCpuMicrosPerRequest) * 100, 3);
  log(`  per-request metrics work: ${hookMicros} µs CPU = ${boundPercent} % of a protected request's CPU`);

  let dashboard;
  try {
    dashboard = await renderFromRun(ctx);
    log(`  dashboard: ${dashboard.panels} panels rendered to ${dashboard.file}`);
  } catch (error) {
    dashboard = { status: 'failed', reason: error.message };
    log(`  dashboard render failed: ${error.stack}`);
  }

  return {
    status: 'ok',
    figures: { ...medians, ratio, cpuRatio, costPercent, hookMicros, boundPercent, runs, dashboard },
    target: { text: 'metrics on keeps >= 0.95 x protected req/s', value: ratio, met: ratio >= 0.95 },
    valid: medians.on.non2xx === 0 && medians.off.non2xx === 0,
  };
};

/** CPU microseconds per request of MetricsService.httpResponse (what the onResponse hook runs), in process. */
function perRequestMetricsMicros() {
  const { MetricsService } = require(join(ROOT, 'dist/metrics/metrics.service.js'));
  const { performance } = require('node:perf_hooks');
  const service = new MetricsService(true);
  const routes = ['/v1/auth/me', '/v1/payments/:id', '/v1/payments', undefined];
  const call = (i) => {
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
 * may be a function, called per attempt (a fresh METRICS_PORT: the slow attempt may still hold its own).
 */
async function spawnWithRetry(options, attempts = 3) {
  for (let i = 1; ; i++) {
    try {
      return await spawnServer(typeof options === 'function' ? await options() : options);
    } catch (error) {
      if (i >= attempts) throw error;
    }
  }
}

/** A provider stand-in whose answers the script switches: succeed, or 500. */
async function switchableProvider() {
  let failing = false;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (failing) return response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}');
      response
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: `ch_${randomUUID()}`, status: 'succeeded' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup('close switchable provider', () => new Promise((resolve) => server.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    fail: (value) => (failing = value),
  };
}

async function startPrometheus(targetHostPort) {
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
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  onCleanup('stop prometheus', stop);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await sleep(200);
  }
  return { url, stop };
}

async function promQuery(prometheus, path, params) {
  const response = await fetch(`${prometheus.url}/api/v1/${path}?${new URLSearchParams(params)}`);
  const body = await response.json();
  if (body.status !== 'success') throw new Error(`prometheus ${path} failed: ${body.error}`);
  return body.data;
}

/** The scripted session; returns what it did, for the report's notes. */
async function session(gatewayUrl, provider, user) {
  const did = {
    logins: 0,
    wrongLogins: 0,
    locked: 0,
    rotations: 0,
    reuse: 0,
    payments: 0,
    failedPayments: 0,
    limited: 0,
  };
  const loginAs = async (email, password) => {
    const result = await postJson(`${gatewayUrl}/v1/auth/login`, { email, password });
    if (result.status === 200) did.logins += 1;
    else if (result.status === 401) did.wrongLogins += 1;
    else if (result.status === 423) did.locked += 1;
    else if (result.status === 429) did.limited += 1;
    return result;
  };
  const pay = (token) =>
    postJson(
      `${gatewayUrl}/v1/payments`,
      { amount: 1000, currency: 'EUR', recipientId: randomUUID() },
      { authorization: `Bearer ${token}`, 'idempotency-key': randomBytes(12).toString('base64url') },
    );

  await sleep(3000);
  let pair;
  for (let i = 0; i < 6; i++) {
    const ok = await loginAs(user.email, user.password);
    pair = ok.body;
    await loginAs(user.email, randomBytes(12).toString('base64url'));
    await sleep(300);
  }
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
    pair = (await loginAs(user.email, user.password)).body;
    await sleep(500);
  }
  await sleep(1500);
  for (let i = 0; i < 8; i++) {
    if ((await pay(pair.accessToken)).status === 201) did.payments += 1;
    await sleep(250);
  }
  provider.fail(true);
  for (let i = 0; i < 10; i++) {
    if ((await pay(pair.accessToken)).status !== 201) did.failedPayments += 1;
    await sleep(400);
  }
  provider.fail(false);
  await sleep(2000);
  // Past the auth limit: 429s.
  for (let i = 0; i < 40; i++) await loginAs(`flood-${i}@bench.invalid`, 'wrong-password-123');
  await sleep(9000); // the breaker's half-open probe window passes
  for (let i = 0; i < 4; i++) {
    if ((await pay(pair.accessToken)).status === 201) did.payments += 1;
    await sleep(500);
  }
  await sleep(4000);
  return did;
}

async function renderFromRun(ctx) {
  const { gatewayEnv, log } = ctx;
  const provider = await switchableProvider();
  let metricsPort;
  const gateway = await spawnWithRetry(async () => ({
    label: 'gateway (dashboard run)',
    script: join(ROOT, 'dist/main.js'),
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
    autocannon({
      url: gateway.url + path,
      headers: { authorization: `Bearer ${ctx.session.accessToken}` },
      connections: 2,
      overallRate: i === 0 ? 40 : 5,
      duration: 50,
    }),
  );
  const did = await session(gateway.url, provider, ctx.user);
  for (const instance of background) instance.stop?.();
  await Promise.allSettled(background);
  await sleep(3000); // the last scrapes
  const end = Math.floor(Date.now() / 1000);

  const board = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/gateway.json'), 'utf8'));
  const rendered = [];
  let row = '';
  for (const panel of board.panels) {
    if (panel.type === 'row') {
      row = panel.title;
      continue;
    }
    const series = [];
    for (const target of panel.targets) {
      const query = target.expr.replace(/\$__rate_interval/g, '5s').replace(/\$instance/g, '.*');
      const data = await promQuery(prometheus, 'query_range', { query, start, end, step: 1 });
      for (const result of data.result) {
        series.push({
          name: legend(target.legendFormat, result.metric),
          points: result.values.map(([t, v]) => [t, Number(v)]),
        });
      }
    }
    rendered.push({
      row,
      title: panel.title,
      description: panel.description,
      unit: panel.fieldConfig?.defaults?.unit,
      series,
    });
  }
  const alerts = await promQuery(prometheus, 'query_range', { query: 'ALERTS', start, end, step: 1 });
  const alertStates = [...new Set(alerts.result.map((r) => `${r.metric.alertname} (${r.metric.alertstate})`))];
  await prometheus.stop();
  await gateway.stop();

  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'metrics-dashboard.html');
  writeFileSync(
    file,
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
    file: 'bench/results/metrics-dashboard.html',
    panels: rendered.length,
    session: did,
    alerts: alertStates,
    seconds: end - start,
  };
}
