import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { cannon, StatusCodeStats } from '../lib/load';
import { startProbe } from '../lib/probe';
import { freePort } from '../../tools/harness';
import { GATEWAY_SCRIPT, spawnServer } from '../lib/servers';
import { LatencySummary, latencySummary } from '../lib/stats';

const PROBE_RATE = 20;

export interface FloodFigures {
  probeRatePerSecond: number;
  healthQuiet: LatencySummary;
  healthDuringFlood: LatencySummary & { failures: number };
  controlQuiet: LatencySummary;
  controlDuringFlood: LatencySummary;
  flood: { requestsPerSecond: number; p50: number; p99: number; statusCodes?: StatusCodeStats };
  /** gateway_event_loop_delay_seconds of the flooded gateway, in ms: over the quiet probe, and over the flood. */
  eventLoopDelay?: { quiet: LoopDelay; flood: LoopDelay };
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
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
 * 6. Login flood isolation: /health/live p99 from a separate low-rate probe process (20 req/s)
 * while autocannon floods POST /v1/auth/login with wrong passwords for a new email every request
 * (the auth rate limit is raised for the bench, so every attempt reaches password hashing or its
 * bounded queue). The same probe without the flood is the baseline, and a bare Node server in its
 * own process, probed the same way at the same time, is the control: it shows how much of the
 * latency is the machine (the load generator and the databases share its cores) rather than the
 * gateway.
 */
export async function loginFlood(ctx: BenchContext): Promise<ScenarioResult<FloodFigures>> {
  const { settings, log } = ctx;
  if (!ctx.routes.login) return { status: 'skipped', reason: ctx.authMissing };
  // Its own gateway with the metrics listener on, to read its event-loop delay during the flood.
  const metricsPort = await freePort();
  const gateway = await spawnServer({
    label: 'flood gateway',
    script: GATEWAY_SCRIPT,
    env: { ...ctx.gatewayEnv, METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' },
    readyPath: '/health/ready',
  });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const durationMs = settings.duration * 1000;
  const liveUrl = `${gateway.url}/health/live`;

  const control = await spawnServer({
    label: 'control server',
    script: join(__dirname, '../lib/control-server.ts'),
    env: {},
    readyPath: '/',
  });
  // Each pair of probes is started (loaded, waiting) first, then set going together with its load.
  const quietMs = Math.min(durationMs, 3000);
  const quietProbes = await Promise.all([
    startProbe(liveUrl, quietMs, PROBE_RATE),
    startProbe(`${control.url}/`, quietMs, PROBE_RATE),
  ]);
  await scrapeLoopDelay(metricsUrl);
  const [quiet, quietControl] = await Promise.all([quietProbes[0].go(), quietProbes[1].go()]);
  const loopQuiet = await scrapeLoopDelay(metricsUrl);
  const floodProbes = await Promise.all([
    startProbe(liveUrl, durationMs, PROBE_RATE),
    startProbe(`${control.url}/`, durationMs, PROBE_RATE),
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
    floodProbes[0].go(),
    floodProbes[1].go(),
  ]);
  const loopFlood = await scrapeLoopDelay(metricsUrl);
  await control.stop();
  await gateway.stop();
  const during = latencySummary(loaded.samples);
  const controlDuring = latencySummary(loadedControl.samples);
  log(
    `  flood ${flood.requestsPerSecond} req/s ${JSON.stringify(flood.statusCodes)}; /health/live p99 ${during.p99} ms, control p99 ${controlDuring.p99} ms; event-loop delay p99/max ${loopFlood.p99}/${loopFlood.max} ms (quiet ${loopQuiet.p99}/${loopQuiet.max})`,
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
      eventLoopDelay: { quiet: loopQuiet, flood: loopFlood },
    },
    target: { text: '/health/live p99 during the flood < 50 ms', value: during.p99, met: during.p99 < 50 },
    valid: loaded.failures === 0,
  };
}
