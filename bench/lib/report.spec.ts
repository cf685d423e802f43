import type { RunResult, StoredScenario } from './context';
import type { Medians } from './load';
import { summariseFlood } from '../scenarios/login-flood';
import { fmt, machineLine, summary, tableRows } from './report';

const medians = (requestsPerSecond: number, cpu: number): Medians => ({
  requestsPerSecond,
  p50: 2,
  p99: 9,
  serverCpuMicrosPerRequest: cpu,
  non2xx: 0,
  unexpected: 0,
  errors: 0,
});
const range = (median: number, min = median / 2, max = median * 2) => ({ median, min, max });
const scenario = (figures: unknown, extra: Partial<StoredScenario> = {}): StoredScenario => ({
  title: 't',
  status: 'ok',
  figures,
  ...extra,
});

describe('bench report', () => {
  it("shows a missing figure as '-'", () => {
    expect([fmt(undefined), fmt(null), fmt(NaN), fmt(0), fmt('1 (0.9-1.1)')]).toEqual([
      '-',
      '-',
      '-',
      '0',
      '1 (0.9-1.1)',
    ]);
  });

  it('summarises the pipeline with its rows, ratios and CPU ratios', () => {
    const line = summary(
      'pipeline',
      scenario({
        bare: medians(1000, 100),
        protected: medians(700, 140),
        payment: medians(400, 300),
        ratios: {
          protected: range(0.7, 0.6, 0.8),
          protectedByCpu: range(0.71),
          payment: range(0.4, 0.3, 0.5),
          paymentByCpu: range(0.33),
        },
      }),
    );
    expect(line).toBe(
      'bare 1000 req/s p50/p99 2/9 ms 100 µs CPU/req; /me 700 req/s p50/p99 2/9 ms 140 µs CPU/req; ' +
        'payment 404 400 req/s p50/p99 2/9 ms 300 µs CPU/req; ' +
        'ratios /me 0.7 (0.6-0.8) by CPU 0.71 (0.355-1.42); payment 0.4 (0.3-0.5) by CPU 0.33 (0.165-0.66)',
    );
    // A run without the auth routes measured the bare route only.
    expect(summary('pipeline', scenario({ bare: medians(900, 90) }, { status: 'skipped' }))).toBe(
      'bare 900 req/s p50/p99 2/9 ms',
    );
  });

  it('summarises the peer comparison against the floor and both peers', () => {
    const f = {
      gatewayPayment: medians(600, 500),
      floorPayment: medians(1000, 300),
      fairPayment: medians(300, 900),
      naivePayment: medians(200, 1200),
      gatewayMe: medians(800, 400),
      fairMe: medians(500, 700),
      naiveMe: medians(250, 1100),
      ratios: {
        paymentVsFloor: range(0.6, 0.55, 0.65),
        paymentVsFloorByCpu: range(0.6, 0.5, 0.7),
        paymentVsFair: range(2, 1.9, 2.1),
        paymentVsNaive: range(3, 2.9, 3.1),
        meVsFair: range(1.6, 1.5, 1.7),
        meVsNaive: range(3.2, 3.1, 3.3),
        paymentVsFairByCpu: range(1.8, 1.7, 1.9),
        meVsFairByCpu: range(1.75, 1.65, 1.85),
      },
    };
    const line = summary('peer', scenario(f));
    expect(line).toContain(
      'gateway payment 600 req/s p99 9 ms 500 µs CPU/req; floor payment 1000 req/s p99 9 ms 300 µs CPU/req; fair peer payment 300 req/s',
    );
    expect(line).toContain('naive peer /me 250 req/s p99 9 ms 1100 µs CPU/req; ');
    expect(line).toContain(
      'payment vs floor 0.6 (0.55-0.65) (by CPU 0.6 (0.5-0.7)), vs fair 2 (1.9-2.1) (by CPU 1.8 (1.7-1.9)), vs naive 3 (2.9-3.1); ' +
        '/me vs fair 1.6 (1.5-1.7) (by CPU 1.75 (1.65-1.85)), vs naive 3.2 (3.1-3.3)',
    );
    expect(summary('peer', scenario(undefined, { status: 'skipped' }))).toBe('');
  });

  it('summarises the soak with boot RSS and RSS under load', () => {
    expect(
      summary(
        'soak',
        scenario({
          seconds: 120,
          connections: 50,
          bootRssMiB: 150,
          rssBeforeMiB: 160,
          rssMaxMiB: 190.5,
          rssLateMedianMiB: 185,
          rssLastMiB: 184,
          requestsPerSecond: 900,
          p99: 80,
          serverCpuMicrosPerRequest: 400,
        }),
      ),
    ).toBe(
      'RSS boot 150 MiB, before 160, settled -, under load max 190.5 / late median 185 / last 184 MiB; 120 s at 50 connections, 900 req/s, p99 80 ms, 400 µs CPU/req',
    );
  });

  it('summarises round trips, refresh, flood and outage the way docs/performance.md quotes them', () => {
    const rt = (redis: number, database: number, byCommand = {}) => ({
      redis: { roundTripsPerRequest: redis, commandsPerRequest: redis, byCommand, keyShapes: {} },
      database: { roundTripsPerRequest: database },
      failed: 0,
    });
    expect(
      summary(
        'redis',
        scenario({
          bare: rt(0, 0),
          protected: rt(1, 0.005, { EVALSHA: 1 }),
          refresh: rt(1, 2),
          expressPeer: rt(2, 1, { EVALSHA: 2 }),
        }),
      ),
    ).toBe(
      '/v1/auth/me: Redis 1 RT {"EVALSHA":1}, PostgreSQL 0.005 RT; refresh: Redis 1 RT, PostgreSQL 2 RT; ' +
        'fair peer /me: Redis 2 RT {"EVALSHA":2}, PostgreSQL 1 RT; /health/live: 0 / 0',
    );
    expect(summary('refresh', scenario({ refresh: medians(300, 1500), floor: medians(1600, 0) }))).toBe(
      'refresh 300 req/s p50/p99 2/9 ms; floor 1600 q/s p50/p99 2/9 ms',
    );
    const latency = (p99: number) => ({ count: 60, p50: 1, p99, max: p99 });
    expect(
      summary(
        'flood',
        scenario({
          healthQuiet: latency(5),
          healthDuringFlood: { ...latency(40), failures: 0 },
          controlQuiet: latency(3),
          controlDuringFlood: latency(20),
          flood: { requestsPerSecond: 30, p50: 1, p99: 2, statusCodes: { '401': { count: 150 }, '503': { count: 7 } } },
        }),
      ),
    ).toBe('/health/live p99 quiet 5 ms, flood 40 ms (control server: 3 / 20 ms); flood 30 req/s {"401":150,"503":7}');
    const floodRound = (live: number, control: number, loop: number) => ({
      healthQuiet: latency(5),
      healthDuringFlood: { ...latency(live), failures: 0 },
      controlQuiet: latency(3),
      controlDuringFlood: latency(control),
      flood: { requestsPerSecond: 30, p50: 1, p99: 2, statusCodes: { '401': { count: 150 }, '503': { count: 7 } } },
      eventLoopDelay: { quiet: { p50: 1, p99: 2, max: 3 }, flood: { p50: 1, p99: loop, max: loop * 2 } },
    });
    const rounds = [floodRound(40, 20, 10), floodRound(30, 25, 12), floodRound(60, 10, 8)];
    expect(summary('flood', scenario({ probeRatePerSecond: 20, rounds, summary: summariseFlood(rounds) }))).toBe(
      '3 rounds, median (min-max): /health/live p99 quiet 5 (5-5) ms, flood 40 (30-60) ms (control server: 3 (3-3) / 20 (10-25) ms); ' +
        'gateway event-loop delay during the flood p99 10 (8-12) ms, max 20 (16-24) ms; flood 30 (30-30) req/s {"401":450,"503":21}',
    );
    expect(
      summary(
        'outage',
        scenario({
          providerTimeoutMs: 2000,
          before: latency(2100),
          after: { requestsPerSecond: 900, p50: 4, p99: 30 },
        }),
      ),
    ).toBe('before open p99 2100 ms (n=60); after open p99 30 ms, 900 req/s; timeout 2000 ms');
    expect(summary('metrics', scenario({ ratio: 0.98 }))).toBe('');
  });

  it("summarises propagation per change, from the request start and from A's answer", () => {
    const lat = (p50: number, p99: number, max: number) => ({ count: 10, p50, p99, max });
    const both = (p50: number) => ({ fromRequest: lat(p50, p50 * 2, p50 * 3), fromAnswer: lat(-1, 1, 2) });
    const line = summary(
      'propagation',
      scenario({
        iterations: 10,
        samples: [],
        byChange: { disable: both(30), demote: both(10), 'revoke-sessions': both(12) },
        fromRequest: lat(12, 60, 90),
        fromAnswer: lat(-1, 1, 2),
      }),
    );
    expect(line).toBe(
      "admin request start on A -> refused on B (10 each): disable p50/p99/max 30/60/90 ms, demote p50/p99/max 10/20/30 ms, revoke-sessions p50/p99/max 12/24/36 ms; all p99 60 ms; A's answer -> refused on B p50 -1 ms, max 2 ms",
    );
    expect(summary('propagation', scenario({}))).toBe('');
  });

  it('makes a table row per target, a second for a CPU target, and shows why a scenario has none', () => {
    const rows = tableRows({
      scenarios: {
        pipeline: scenario(
          {},
          {
            target: { text: 'protected >= 0.60 x bare', value: '0.7 (0.6-0.8)', met: true },
            cpuTarget: { text: 'CPU <= 150 us', value: '160 (150-170)', met: false },
          },
        ),
        peer: scenario(undefined, { status: 'skipped', reason: 'no auth routes' }),
        outage: scenario({}, { valid: false, target: { text: 'p99 <= 100 ms', value: 30, met: true } }),
      },
    });
    expect(rows).toEqual([
      { scenario: 'pipeline', status: 'ok', target: 'protected >= 0.60 x bare', value: '0.7 (0.6-0.8)', met: 'yes' },
      { scenario: 'pipeline', status: 'ok', target: 'CPU <= 150 us', value: '160 (150-170)', met: 'NO' },
      { scenario: 'peer', status: 'skipped', target: 'no auth routes', value: '', met: '-' },
      { scenario: 'outage', status: 'ok (unexpected answers seen)', target: 'p99 <= 100 ms', value: '30', met: 'yes' },
    ]);
  });

  it('says what the figures were measured on', () => {
    const machine: RunResult['machine'] = {
      cpuModel: 'EPYC',
      cores: 2,
      memoryGiB: 23.5,
      loadAverageAtStart: [1.5, 2, 3],
      os: 'Linux 6 x64',
      node: 'v20.20.2',
      postgres: '15.20',
      redis: '7.0.15',
      commit: '0123456789abcdef',
      branch: 'main',
      dirty: true,
    };
    expect(machineLine(machine)).toBe(
      'Machine: EPYC x2, 23.5 GiB, Linux 6 x64; Node v20.20.2, PostgreSQL 15.20, Redis 7.0.15; commit 0123456789ab (dirty); load at start 1.5 2 3',
    );
  });
});
