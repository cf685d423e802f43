import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { cannon, StatusCodeStats } from '../lib/load';
import { startProbe } from '../lib/probe';
import { freePort } from '../../tools/harness';
import { GATEWAY_SCRIPT, spawnServer, type Server } from '../lib/servers';
import { LatencySummary, latencySummary, spread, type RatioRange } from '../lib/stats';

const PROBE_RATE = 20;

/** One round: the quiet probe, then the flood, on a fresh flood gateway. */
export interface FloodRound {
  /** /health/live on the gateway's probe port (PROBE_PORT), where an orchestrator's probes go. */
  healthQuiet: LatencySummary;
  healthDuringFlood: LatencySummary & { failures: number };
  /** The same probe on the public port, behind the flood's connections (and, before PROBE_PORT, the only one). */
  publicQuiet?: LatencySummary;
  publicDuringFlood?: LatencySummary & { failures: number };
  controlQuiet: LatencySummary;
  controlDuringFlood: LatencySummary;
  flood: { requestsPerSecond: number; p50: number; p99: number; statusCodes?: StatusCodeStats };
  /** gateway_event_loop_delay_seconds of the flooded gateway, in ms: over the quiet probe, and over the flood. */
  eventLoopDelay?: { quiet: LoopDelay; flood: LoopDelay };
}

/** The rounds' figures as median (min-max). */
export interface FloodSummary {
  healthQuietP99: RatioRange;
  healthDuringFloodP99: RatioRange;
  publicDuringFloodP99: RatioRange;
  controlQuietP99: RatioRange;
  controlDuringFloodP99: RatioRange;
  eventLoopDelayFloodP99: RatioRange;
  eventLoopDelayFloodMax: RatioRange;
  floodRequestsPerSecond: RatioRange;
  /** Probe requests that failed during the floods, all rounds together. */
  failures: number;
}

export interface FloodFigures {
  probeRatePerSecond: number;
  rounds: FloodRound[];
  summary: FloodSummary;
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Median (min-max) over the rounds of the figures the target and the report read. */
export function summariseFlood(rounds: FloodRound[]): FloodSummary {
  const over = (pick: (round: FloodRound) => number | undefined): RatioRange =>
    spread(rounds.map((round) => pick(round) ?? NaN));
  return {
    healthQuietP99: over((r) => r.healthQuiet.p99),
    healthDuringFloodP99: over((r) => r.healthDuringFlood.p99),
    publicDuringFloodP99: over((r) => r.publicDuringFlood?.p99),
    controlQuietP99: over((r) => r.controlQuiet.p99),
    controlDuringFloodP99: over((r) => r.controlDuringFlood.p99),
    eventLoopDelayFloodP99: over((r) => r.eventLoopDelay?.flood.p99),
    eventLoopDelayFloodMax: over((r) => r.eventLoopDelay?.flood.max),
    floodRequestsPerSecond: over((r) => r.flood.requestsPerSecond),
    failures: rounds.reduce((sum, r) => sum + r.healthDuringFlood.failures + (r.publicDuringFlood?.failures ?? 0), 0),
  };
}

/** The gateway's event-loop delay since the previous scrape (a scrape starts a new window). */
async function scrapeLoopDelay(metricsUrl: string): Promise<LoopDelay> {
  const text = await (await fetch(metricsUrl)).text();
  const at = (quantile: string): number => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`gateway_event_loop_delay_seconds{quantile="${quantile}"} `));
    return line ? Math.round(Number(line.split(' ')[1]) * 1e5) / 100 : NaN;
  };
  return { p50: at('0.5'), p99: at('0.99'), max: at('1') };
}

/**
 * 6. Login flood isolation: /health/live p99 from a separate low-rate probe process (20 req/s) on
 * the gateway's probe port (PROBE_PORT, where an orchestrator's probes go; a build without one is
 * probed on its public port), with the same probe on the public port beside it, while autocannon
 * floods POST /v1/auth/login with wrong passwords for a new email every request
 * (the auth rate limit is raised for the bench, so every attempt reaches password hashing or its
 * bounded queue). The same probe without the flood is the baseline, and a bare Node server in its
 * own process, probed the same way at the same time, is the control: it shows how much of the
 * latency is the machine (the load generator and the databases share its cores) rather than the
 * gateway. The run's --rounds rounds, each on a fresh flood gateway (a flood leaves hashing queued
 * and failures counted), reported per round and as median (min-max).
 */
export async function loginFlood(ctx: BenchContext): Promise<ScenarioResult<FloodFigures>> {
  const { settings, log } = ctx;
  if (!ctx.routes.login) return { status: 'skipped', reason: ctx.authMissing };
  const control = await spawnServer({
    label: 'control server',
    script: join(__dirname, '../lib/control-server.ts'),
    env: {},
    readyPath: '/',
  });
  const rounds: FloodRound[] = [];
  try {
    for (let i = 0; i < settings.rounds; i += 1) {
      const round = await floodRound(ctx, control);
      rounds.push(round);
      log(
        `  flood round ${i + 1}/${settings.rounds}: ${round.flood.requestsPerSecond} req/s ${JSON.stringify(round.flood.statusCodes)}; /health/live p99 ${round.healthDuringFlood.p99} ms${round.publicDuringFlood ? ` (public port ${round.publicDuringFlood.p99} ms)` : ''}, control p99 ${round.controlDuringFlood.p99} ms; event-loop delay p99/max ${round.eventLoopDelay?.flood.p99}/${round.eventLoopDelay?.flood.max} ms (quiet ${round.eventLoopDelay?.quiet.p99}/${round.eventLoopDelay?.quiet.max})`,
      );
    }
  } finally {
    await control.stop();
  }
  const summary = summariseFlood(rounds);
  return {
    status: 'ok',
    figures: { probeRatePerSecond: PROBE_RATE, rounds, summary },
    target: {
      text: '/health/live p99 during the flood < 50 ms (median over the rounds; on PROBE_PORT)',
      value: summary.healthDuringFloodP99.median,
      met: summary.healthDuringFloodP99.median < 50,
    },
    valid: summary.failures === 0,
  };
}

/** One round: a fresh gateway (metrics on, for its event-loop delay), the quiet probe, the flood. */
async function floodRound(ctx: BenchContext, control: Server): Promise<FloodRound> {
  const { settings } = ctx;
  const metricsPort = await freePort();
  const probePort = await freePort();
  const gateway = await spawnServer({
    label: 'flood gateway',
    script: GATEWAY_SCRIPT,
    env: {
      ...ctx.gatewayEnv,
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      PROBE_PORT: String(probePort),
    },
    readyPath: '/health/ready',
    nodeArgs: ctx.gatewayNodeArgs,
  });
  try {
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const durationMs = settings.duration * 1000;
    const publicLiveUrl = `${gateway.url}/health/live`;
    // A build without PROBE_PORT has the public port only: its probe is then the one measured.
    const probeLiveUrl = `http://127.0.0.1:${probePort}/health/live`;
    const hasProbePort = await fetch(probeLiveUrl).then(
      (response) => response.ok,
      () => false,
    );
    const liveUrl = hasProbePort ? probeLiveUrl : publicLiveUrl;
    // Each pair of probes is started (loaded, waiting) first, then set going together with its load.
    const quietMs = Math.min(durationMs, 3000);
    const quietProbes = await Promise.all([
      startProbe(liveUrl, quietMs, PROBE_RATE),
      startProbe(`${control.url}/`, quietMs, PROBE_RATE),
      hasProbePort ? startProbe(publicLiveUrl, quietMs, PROBE_RATE) : undefined,
    ]);
    await scrapeLoopDelay(metricsUrl);
    const [quiet, quietControl, quietPublic] = await Promise.all([
      quietProbes[0].go(),
      quietProbes[1].go(),
      quietProbes[2]?.go(),
    ]);
    const loopQuiet = await scrapeLoopDelay(metricsUrl);
    const floodProbes = await Promise.all([
      startProbe(liveUrl, durationMs, PROBE_RATE),
      startProbe(`${control.url}/`, durationMs, PROBE_RATE),
      hasProbePort ? startProbe(publicLiveUrl, durationMs, PROBE_RATE) : undefined,
    ]);
    const [flood, loaded, loadedControl, loadedPublic] = await Promise.all([
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
      floodProbes[0].go(),
      floodProbes[1].go(),
      floodProbes[2]?.go(),
    ]);
    const loopFlood = await scrapeLoopDelay(metricsUrl);
    return {
      healthQuiet: latencySummary(quiet.samples),
      healthDuringFlood: { ...latencySummary(loaded.samples), failures: loaded.failures },
      ...(quietPublic && loadedPublic
        ? {
            publicQuiet: latencySummary(quietPublic.samples),
            publicDuringFlood: { ...latencySummary(loadedPublic.samples), failures: loadedPublic.failures },
          }
        : {}),
      // The same probe against a bare Node server in its own process: the machine's share.
      controlQuiet: latencySummary(quietControl.samples),
      controlDuringFlood: latencySummary(loadedControl.samples),
      flood: {
        requestsPerSecond: flood.requestsPerSecond,
        p50: flood.p50,
        p99: flood.p99,
        statusCodes: flood.statusCodes,
      },
      eventLoopDelay: { quiet: loopQuiet, flood: loopFlood },
    };
  } finally {
    await gateway.stop();
  }
}
