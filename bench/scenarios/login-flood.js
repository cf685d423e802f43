'use strict';

const { execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');
const { cannon } = require('../lib/load');
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
 * bounded queue). The same probe without the flood is the baseline.
 */
module.exports = async function loginFlood(ctx) {
  const { gateway, settings, log } = ctx;
  if (!ctx.routes.login) return { status: 'skipped', reason: ctx.authMissing };
  const durationMs = settings.duration * 1000;
  const liveUrl = `${gateway.url}/health/live`;

  const quiet = await probe(liveUrl, Math.min(durationMs, 3000));
  const [flood, loaded] = await Promise.all([
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
  ]);
  const during = latencySummary(loaded.samples);
  log(
    `  flood ${flood.requestsPerSecond} req/s ${JSON.stringify(flood.statusCodes)}; /health/live p99 ${during.p99} ms`,
  );
  return {
    status: 'ok',
    figures: {
      probeRatePerSecond: PROBE_RATE,
      healthQuiet: latencySummary(quiet.samples),
      healthDuringFlood: { ...during, failures: loaded.failures },
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
