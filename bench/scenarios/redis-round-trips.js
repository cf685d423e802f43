'use strict';

const { join } = require('node:path');
const { startRedisProbe } = require('../lib/redis-probe');
const { spawnServer, onCleanup, ROOT } = require('../lib/processes');
const { login } = require('../lib/gateway');
const { round } = require('../lib/stats');

const N = 200;

function delta(before, after) {
  const byCommand = {};
  for (const [name, count] of Object.entries(after.byCommand)) {
    const d = count - (before.byCommand[name] ?? 0);
    if (d) byCommand[name] = round(d / N, 3);
  }
  const keyShapes = {};
  for (const [shape, count] of Object.entries(after.keyShapes)) {
    const d = count - (before.keyShapes[shape] ?? 0);
    if (d) keyShapes[shape] = round(d / N, 3);
  }
  return {
    roundTripsPerRequest: round((after.roundTrips - before.roundTrips) / N, 3),
    commandsPerRequest: round((after.commands - before.commands) / N, 3),
    byCommand,
    keyShapes,
  };
}

async function measure(probe, url, headers) {
  for (let i = 0; i < 20; i++) await (await fetch(url, { headers })).arrayBuffer(); // warm-up (scripts loaded)
  const before = probe.snapshot();
  let non200 = 0;
  for (let i = 0; i < N; i++) {
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    if (response.status !== 200) non200 += 1;
  }
  return { ...delta(before, probe.snapshot()), non200 };
}

/**
 * 3. Redis round trips per protected request, counted by a TCP proxy between a dedicated gateway
 * process and Redis (so other users of the shared Redis cannot blur the count), N sequential
 * requests after a warm-up. The Express peer is counted the same way for comparison.
 */
module.exports = async function redisRoundTrips(ctx) {
  const { gatewayEnv } = ctx;
  if (!ctx.user) return { status: 'skipped', reason: ctx.authMissing };
  const probe = await startRedisProbe(gatewayEnv.REDIS_URL);
  onCleanup('close redis probe', () => probe.close());
  const env = { ...gatewayEnv, REDIS_URL: probe.url, REDIS_KEY_PREFIX: `${gatewayEnv.REDIS_KEY_PREFIX}rt:` };
  const gateway = await spawnServer({
    label: 'gateway (redis probe)',
    script: join(ROOT, 'dist/main.js'),
    env,
    readyPath: '/health/ready',
  });
  const session = await login(gateway.url, ctx.user);
  const auth = { authorization: `Bearer ${session.accessToken}` };
  const bare = await measure(probe, `${gateway.url}/health/live`, {});
  const me = await measure(probe, `${gateway.url}/v1/auth/me`, auth);
  await gateway.stop();

  const peer = await spawnServer({
    label: 'express peer (redis probe)',
    script: join(__dirname, '../peers/express-peer.js'),
    env: { ...ctx.peerEnv(), REDIS_URL: probe.url },
    readyPath: '/health/live',
  });
  const peerMe = await measure(probe, `${peer.url}/v1/auth/me`, {
    authorization: `Bearer ${ctx.peerToken ?? session.accessToken}`,
  });
  await peer.stop();

  // A named limit shows up as its own key shape (prefix + limit name + client); count them.
  const namedLimits = Math.max(1, Object.keys(me.keyShapes).length);
  return {
    status: 'ok',
    figures: { requests: N, bare, protected: me, expressPeer: peerMe, namedLimitsSeen: namedLimits },
    target: {
      text: 'Redis round trips per protected request <= named limits applied',
      value: me.roundTripsPerRequest,
      met: me.roundTripsPerRequest <= namedLimits,
    },
    valid: me.non200 === 0,
  };
};
