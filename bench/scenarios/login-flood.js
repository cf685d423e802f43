'use strict';

const { execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');
const { cannon } = require('../lib/load');
const { spawnServer } = require('../lib/processes');
const { latencySummary } = require('../lib/stats');

const PROBE_RATE = 20;

function probe(url, durationMs) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, '../lib/probe-child.js'), url, String(durationMs), String(PROBE_RATE)],
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
    );
  });
}

/**
 * 6. Login flood isolation: /health/live p99 from a separate low-rate probe process (20 req/s)
 * while autocannon floods POST /v1/auth/login with wrong passwords for a new email every request
 * (the auth rate limit is raised for the bench, so every attempt reaches password hashing or its
 * bounded queue). The same probe without the flood is the baseline, and a bare Node server in its
 * own process, probed the same way at the same time, is the control: it shows how much of the
 * latency is the machine (the load generator and the databases share its cores) rather than the
 * gateway.
 */
module.exports = async function loginFlood(ctx) {
  const { gateway, settings, log } = ctx;
  if (!ctx.routes.login) return { status: 'skipped', reason: ctx.authMissing };
  const durationMs = settings.duration * 1000;
  const liveUrl = `${gateway.url}/health/live`;

  const control = await spawnServer({
    label: 'control server',
    script: join(__dirname, '../lib/control-server.js'),
    env: {},
    readyPath: '/',
  });
  const [quiet, quietControl] = await Promise.all([
    probe(liveUrl, Math.min(durationMs, 3000)),
    probe(`${control.url}/`, Math.min(durationMs, 3000)),
  ]);
  const [flood, loaded, loadedControl] = await Promise.all([
    cannon({
      url: `${gateway.url}/v1/auth/login`,
      method: 'POST',
      connections: 50,
      duration: settings.duration,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              email: `flood-${randomBytes(6).toString('hex')}@bench.invalid`,
              password: 'wrong-password-1234',
            }),
          }),
        },
      ],
    }),
    probe(liveUrl, durationMs),
    probe(`${control.url}/`, durationMs),
  ]);
  await control.stop();
  const during = latencySummary(loaded.samples);
  const controlDuring = latencySummary(loadedControl.samples);
  log(
    `  flood ${flood.requestsPerSecond} req/s ${JSON.stringify(flood.statusCodes)}; /health/live p99 ${during.p99} ms, control p99 ${controlDuring.p99} ms`,
  );
  return {
    status: 'ok',
    figures: {
      probeRatePerSecond: PROBE_RATE,
      healthQuiet: latencySummary(quiet.samples),
      healthDuringFlood: { ...during, failures: loaded.failures },
      // The same probe against a bare Node server in its own process: the machine's share.
      controlQuiet: latencySummary(quietControl.samples),
      controlDuringFlood: controlDuring,
      flood: {
        requestsPerSecond: flood.requestsPerSecond,
        p50: flood.p50,
        p99: flood.p99,
        statusCodes: flood.statusCodes,
      },
    },
    target: { text: '/health/live p99 during the flood < 50 ms', value: during.p99, met: during.p99 < 50 },
    valid: loaded.failures === 0,
  };
};
