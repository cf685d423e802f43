import type { RunResult } from './context';
import { asRun, promotion, redactSecrets, runJson, stampOf, TRACKED_DASHBOARD, TRACKED_LATEST } from './results';

const run = (scenarios: RunResult['scenarios']): RunResult =>
  ({ runId: 'r1', startedAt: '2026-11-30T08:36:14.429Z', scenarios }) as unknown as RunResult;

describe('bench results', () => {
  it('names files after the run start', () => {
    expect(stampOf('2026-11-30T08:36:14.429Z')).toBe('2026-11-30T08-36-14-429Z');
  });

  it('records no secret and no server URL of the gateway', () => {
    expect(
      redactSecrets({
        JWT_ACCESS_SECRET: 'a',
        REFRESH_TOKEN_PEPPER: 'b',
        PAYMENT_PROVIDER_API_KEY: 'c',
        DATABASE_URL: 'postgresql://u:p@h/d',
        REDIS_URL: 'redis://:p@h',
        LOG_LEVEL: 'info',
      }),
    ).toEqual({
      JWT_ACCESS_SECRET: '<random per run>',
      REFRESH_TOKEN_PEPPER: '<random per run>',
      PAYMENT_PROVIDER_API_KEY: '<random per run>',
      DATABASE_URL: '<random per run>',
      REDIS_URL: '<random per run>',
      LOG_LEVEL: 'info',
    });
  });

  it('promotes a run as the tracked latest.json and a dated copy, unchanged', () => {
    const r = run({ pipeline: { title: 'p', status: 'ok', figures: { ratio: 0.7 } } });
    expect(promotion(r)).toEqual({
      writes: [
        { path: 'bench/promoted/2026-11-30T08-36-14-429Z.json', text: runJson(r) },
        { path: TRACKED_LATEST, text: runJson(r) },
      ],
      copies: [],
    });
  });

  it("copies the run's dashboard to the tracked page and names that page in the promoted JSON", () => {
    const file = 'bench/results/runs/2026-11-30T08-36-14-429Z-metrics-dashboard.html';
    const r = run({
      metrics: { title: 'm', status: 'ok', figures: { ratio: 0.97, dashboard: { status: 'ok', file } } },
    });
    const plan = promotion(r);
    expect(plan.copies).toEqual([{ from: file, to: TRACKED_DASHBOARD }]);
    const promoted = JSON.parse(plan.writes[1]?.text ?? '{}') as RunResult;
    expect(promoted.scenarios.metrics?.figures).toEqual({
      ratio: 0.97,
      dashboard: { status: 'ok', file: TRACKED_DASHBOARD },
    });
    // The run itself is left as it was.
    expect((r.scenarios.metrics?.figures as { dashboard: { file: string } }).dashboard.file).toBe(file);
  });

  it('copies no dashboard when the render failed, or when the run names the tracked page already', () => {
    const failed = run({ metrics: { title: 'm', status: 'ok', figures: { dashboard: { status: 'failed' } } } });
    expect(promotion(failed).copies).toEqual([]);
    const older = run({
      metrics: { title: 'm', status: 'ok', figures: { dashboard: { status: 'ok', file: TRACKED_DASHBOARD } } },
    });
    expect(promotion(older).copies).toEqual([]);
  });

  it('refuses a file that is not a bench run', () => {
    expect(() => asRun({ name: 'hardened-gateway' }, 'package.json')).toThrow(
      'package.json is not a bench run (no startedAt/scenarios)',
    );
    expect(() => asRun(null, 'x.json')).toThrow(/not a bench run/);
    expect(asRun({ startedAt: 'x', scenarios: {} }, 'ok.json').startedAt).toBe('x');
  });
});
