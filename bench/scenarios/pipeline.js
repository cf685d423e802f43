'use strict';

const { cannon, alternate } = require('../lib/load');
const { round } = require('../lib/stats');

/**
 * 1. Pipeline overhead: the bare route (GET /health/live: no guards, touches nothing) against the
 * fully protected GET /v1/auth/me (global Redis rate limit with a budget that never trips, JWT
 * check, the guard's user lookup, the global ValidationPipe), in the same process, alternating.
 */
module.exports = async function pipeline(ctx) {
  const { gateway, settings, log } = ctx;
  const run =
    (path, headers = {}) =>
    (duration = settings.duration) =>
      cannon(
        { url: gateway.url + path, headers, connections: settings.connections, duration },
        { cpuPid: gateway.pid },
      );
  if (!ctx.session) {
    const { medians } = await alternate({ bare: run('/health/live') }, { rounds: 1, log });
    return { status: 'skipped', reason: ctx.authMissing, figures: { bare: medians.bare } };
  }
  const { runs, medians } = await alternate(
    {
      bare: run('/health/live'),
      protected: run('/v1/auth/me', { authorization: `Bearer ${ctx.session.accessToken}` }),
    },
    { rounds: settings.rounds, log },
  );
  const ratio = round(medians.protected.requestsPerSecond / medians.bare.requestsPerSecond, 3);
  const cpuRatio = round(medians.bare.serverCpuMicrosPerRequest / medians.protected.serverCpuMicrosPerRequest, 3);
  return {
    status: 'ok',
    // cpuRatio: the same comparison by the gateway process's own CPU per request (bare / protected).
    figures: { ...medians, ratio, cpuRatio, runs },
    target: { text: 'protected req/s >= 0.60 x bare', value: ratio, met: ratio >= 0.6 },
    valid: medians.protected.non2xx === 0 && medians.bare.non2xx === 0,
  };
};
