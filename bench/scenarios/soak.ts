import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { login, type BenchUser } from '../lib/gateway';
import { cannon, rssMiB } from '../lib/load';
import { GATEWAY_SCRIPT, spawnServer } from '../lib/servers';
import { round } from '../lib/stats';

/** Connections of the soak load (the memory target is stated for 50). */
export const SOAK_CONNECTIONS = 50;

export interface SoakFigures {
  seconds: number;
  connections: number;
  /**
   * The soak gateway's RSS once it answered ready, after one login, and SETTLE_SECONDS later
   * (before the load: what the allocator kept of what the boot and the login freed).
   */
  bootRssMiB?: number;
  rssBeforeMiB?: number;
  rssSettledMiB?: number;
  /** RSS sampled every second during the load: max, median of the last third, and the last sample. */
  rssMaxMiB: number;
  rssLateMedianMiB: number;
  rssLastMiB: number;
  requestsPerSecond: number;
  p99: number;
  serverCpuMicrosPerRequest?: number;
}

/** Seconds idle after the login before the load: jemalloc returns freed pages within about one. */
const SETTLE_SECONDS = 3;

/**
 * 9. Memory under the soak load: `GET /v1/payments/:id` (404, the protected read with the most
 * work) at 50 connections for BENCH_SOAK_SECONDS (default 120) on a gateway of its own, started for
 * it with the run's variables and node flags (so the scenarios run before it on the shared gateway
 * do not count), its RSS read from /proc every second. A growing late median against the max says
 * "leak"; the max is what an instance needs.
 */
export async function soak(ctx: BenchContext): Promise<ScenarioResult<SoakFigures>> {
  const { settings, log, user } = ctx;
  if (!user) return { status: 'skipped', reason: ctx.authMissing };
  if (!ctx.routes.paymentRead) return { status: 'skipped', reason: 'GET /v1/payments/:id is not on this branch' };
  const seconds = settings.soakSeconds;
  const gateway = await spawnServer({
    label: 'soak gateway',
    script: GATEWAY_SCRIPT,
    env: ctx.gatewayEnv,
    readyPath: '/health/ready',
    nodeArgs: ctx.gatewayNodeArgs,
  });
  try {
    return await soakOn(user, gateway.pid, gateway.url, seconds, log);
  } finally {
    await gateway.stop();
  }
}

/** The load and the RSS samples on the soak gateway (`pid` at `url`), after one login of `user`. */
async function soakOn(
  user: BenchUser,
  pid: number,
  url: string,
  seconds: number,
  log: (line: string) => void,
): Promise<ScenarioResult<SoakFigures>> {
  const bootRssMiB = rssMiB(pid);
  const session = await login(url, user);
  const rssBeforeMiB = rssMiB(pid);
  await sleep(SETTLE_SECONDS * 1000);
  const rssSettledMiB = rssMiB(pid);
  const samples: number[] = [];
  const timer = setInterval(() => {
    const rss = rssMiB(pid);
    if (rss !== undefined) samples.push(rss);
  }, 1000);
  let run;
  try {
    run = await cannon(
      {
        url: `${url}/v1/payments/${randomUUID()}`,
        headers: { authorization: `Bearer ${session.accessToken}` },
        connections: SOAK_CONNECTIONS,
        duration: seconds,
        expectedStatus: 404,
      },
      { cpuPid: pid },
    );
  } finally {
    clearInterval(timer);
  }
  const late = samples.slice(Math.floor((samples.length * 2) / 3)).sort((a, b) => a - b);
  const figures: SoakFigures = {
    seconds,
    connections: SOAK_CONNECTIONS,
    ...(bootRssMiB !== undefined ? { bootRssMiB } : {}),
    ...(rssBeforeMiB !== undefined ? { rssBeforeMiB } : {}),
    ...(rssSettledMiB !== undefined ? { rssSettledMiB } : {}),
    rssMaxMiB: samples.length ? Math.max(...samples) : NaN,
    rssLateMedianMiB: round(late[Math.floor(late.length / 2)] ?? NaN, 1),
    rssLastMiB: samples[samples.length - 1] ?? NaN,
    requestsPerSecond: run.requestsPerSecond,
    p99: run.p99,
    ...(run.serverCpuMicrosPerRequest !== undefined
      ? { serverCpuMicrosPerRequest: run.serverCpuMicrosPerRequest }
      : {}),
  };
  log(
    `  soak ${seconds} s on its own gateway: RSS after boot ${bootRssMiB} MiB, ${SETTLE_SECONDS} s after a login ${rssSettledMiB}, max ${figures.rssMaxMiB} MiB, late median ${figures.rssLateMedianMiB}, last ${figures.rssLastMiB}; ${run.requestsPerSecond} req/s`,
  );
  return {
    status: 'ok',
    figures,
    target: {
      text: `RSS per instance <= 200 MiB under ${SOAK_CONNECTIONS} connections of protected reads`,
      value: `max ${figures.rssMaxMiB} MiB (boot ${figures.bootRssMiB ?? '-'})`,
      met: figures.rssMaxMiB <= 200,
    },
    valid: run.errors === 0 && (run.unexpected ?? 0) === 0,
  };
}
