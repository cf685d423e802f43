import type { AttackFigures } from '../scenarios/attack';
import type { FloodFigures, FloodRound } from '../scenarios/login-flood';
import type { OutageFigures } from '../scenarios/outage';
import type { PeerFigures } from '../scenarios/peer';
import type { PipelineFigures } from '../scenarios/pipeline';
import type { PropagationFigures } from '../scenarios/propagation';
import type { RedisFigures } from '../scenarios/redis-round-trips';
import type { RefreshFigures } from '../scenarios/refresh';
import type { WebhookFigures } from '../scenarios/webhooks';
import type { SoakFigures } from '../scenarios/soak';
import type { RunResult, StoredScenario, Target } from './context';
import type { Medians } from './load';
import { round, type RatioRange } from './stats';

/** A figure as the table shows it: '-' for none. */
export function fmt(x: unknown): string {
  return x === undefined || x === null || Number.isNaN(x) ? '-' : String(x);
}

const range = (x: RatioRange | undefined): string => (x ? `${x.median} (${x.min}-${x.max})` : '-');

/**
 * One line of figures per scenario, the way docs/performance.md shows them. The figures come from
 * a run file, so each scenario's shape is taken as that scenario wrote it.
 */
export function summary(id: string, s: StoredScenario): string {
  const figures: unknown = s.figures ?? {};
  switch (id) {
    case 'pipeline': {
      const f = figures as Partial<PipelineFigures>;
      if (!f.bare) return '';
      if (!f.protected) return `bare ${fmt(f.bare.requestsPerSecond)} req/s p50/p99 ${f.bare.p50}/${f.bare.p99} ms`;
      const row = (name: string, m: Medians): string =>
        `${name} ${fmt(m.requestsPerSecond)} req/s p50/p99 ${m.p50}/${m.p99} ms ${m.serverCpuMicrosPerRequest} µs CPU/req`;
      const r = f.ratios;
      return [
        row('bare', f.bare),
        row('/me', f.protected),
        ...(f.payment ? [row('payment 404', f.payment)] : []),
        `ratios /me ${range(r?.protected)} by CPU ${range(r?.protectedByCpu)}; payment ${range(r?.payment)} by CPU ${range(r?.paymentByCpu)}`,
      ].join('; ');
    }
    case 'peer': {
      const f = figures as Partial<PeerFigures>;
      if (!f.gatewayPayment || !f.ratios) return '';
      const row = (name: string, m: Medians | undefined): string =>
        `${name} ${fmt(m?.requestsPerSecond)} req/s p99 ${m?.p99} ms ${m?.serverCpuMicrosPerRequest} µs CPU/req`;
      const r = f.ratios;
      return [
        row('gateway payment', f.gatewayPayment),
        row('floor payment', f.floorPayment),
        row('fair peer payment', f.fairPayment),
        row('naive peer payment', f.naivePayment),
        row('gateway /me', f.gatewayMe),
        row('fair peer /me', f.fairMe),
        row('naive peer /me', f.naiveMe),
        `payment vs floor ${range(r.paymentVsFloor)} (by CPU ${range(r.paymentVsFloorByCpu)}), vs fair ${range(r.paymentVsFair)} (by CPU ${range(r.paymentVsFairByCpu)}), vs naive ${range(r.paymentVsNaive)}; /me vs fair ${range(r.meVsFair)} (by CPU ${range(r.meVsFairByCpu)}), vs naive ${range(r.meVsNaive)}`,
      ].join('; ');
    }
    case 'redis': {
      const f = figures as Partial<RedisFigures>;
      if (!f.protected || !f.refresh || !f.expressPeer || !f.bare) return '';
      return [
        f.paymentRead
          ? `payment read: Redis ${f.paymentRead.redis.roundTripsPerRequest} RT, PostgreSQL ${f.paymentRead.database?.roundTripsPerRequest} RT; `
          : '',
        f.expressPeerPaymentRead
          ? `fair peer payment read: Redis ${f.expressPeerPaymentRead.redis.roundTripsPerRequest} RT, PostgreSQL ${f.expressPeerPaymentRead.database?.roundTripsPerRequest} RT; `
          : '',
        `/v1/auth/me: Redis ${f.protected.redis.roundTripsPerRequest} RT ${JSON.stringify(f.protected.redis.byCommand)}, PostgreSQL ${f.protected.database?.roundTripsPerRequest} RT; `,
        `refresh: Redis ${f.refresh.redis.roundTripsPerRequest} RT, PostgreSQL ${f.refresh.database?.roundTripsPerRequest} RT;`,
        f.paymentWithBreakerOpen
          ? ` payment (breaker open): Redis ${f.paymentWithBreakerOpen.redis.roundTripsPerRequest} RT, PostgreSQL ${f.paymentWithBreakerOpen.database?.roundTripsPerRequest} RT;`
          : '',
        ` fair peer /me: Redis ${f.expressPeer.redis.roundTripsPerRequest} RT ${JSON.stringify(f.expressPeer.redis.byCommand)}, PostgreSQL ${f.expressPeer.database?.roundTripsPerRequest ?? '-'} RT; `,
        `/health/live: ${f.bare.redis.roundTripsPerRequest} / ${f.bare.database?.roundTripsPerRequest}`,
      ].join('');
    }
    case 'refresh': {
      const f = figures as Partial<RefreshFigures>;
      return f.refresh && f.floor
        ? `refresh ${fmt(f.refresh.requestsPerSecond)} req/s p50/p99 ${f.refresh.p50}/${f.refresh.p99} ms; floor ${fmt(f.floor.requestsPerSecond)} q/s p50/p99 ${f.floor.p50}/${f.floor.p99} ms`
        : '';
    }
    case 'flood': {
      // A run file from before the flood ran in rounds holds one round's figures at the top level.
      const f = figures as Partial<FloodFigures> & Partial<FloodRound>;
      if (f.summary && f.rounds) {
        const s = f.summary;
        const codes: Record<string, number> = {};
        for (const round of f.rounds)
          for (const [code, stats] of Object.entries(round.flood.statusCodes ?? {}))
            codes[code] = (codes[code] ?? 0) + (stats.count ?? 0);
        return (
          `${f.rounds.length} rounds, median (min-max): /health/live p99 quiet ${range(s.healthQuietP99)} ms, ` +
          `flood ${range(s.healthDuringFloodP99)} ms` +
          (s.publicDuringFloodP99 && Number.isFinite(s.publicDuringFloodP99.median)
            ? ` (public port ${range(s.publicDuringFloodP99)} ms)`
            : '') +
          ` (control server: ${range(s.controlQuietP99)} / ${range(s.controlDuringFloodP99)} ms); ` +
          `gateway event-loop delay during the flood p99 ${range(s.eventLoopDelayFloodP99)} ms, max ${range(s.eventLoopDelayFloodMax)} ms; ` +
          `flood ${range(s.floodRequestsPerSecond)} req/s ${JSON.stringify(codes)}`
        );
      }
      if (!f.healthDuringFlood || !f.healthQuiet || !f.controlQuiet || !f.controlDuringFlood || !f.flood) return '';
      const codes = Object.fromEntries(Object.entries(f.flood.statusCodes ?? {}).map(([k, v]) => [k, v.count]));
      return `/health/live p99 quiet ${f.healthQuiet.p99} ms, flood ${f.healthDuringFlood.p99} ms (control server: ${f.controlQuiet.p99} / ${f.controlDuringFlood.p99} ms); flood ${f.flood.requestsPerSecond} req/s ${JSON.stringify(codes)}${f.eventLoopDelay ? `; gateway event-loop delay p99/max quiet ${f.eventLoopDelay.quiet.p99}/${f.eventLoopDelay.quiet.max} ms, flood ${f.eventLoopDelay.flood.p99}/${f.eventLoopDelay.flood.max} ms` : ''}`;
    }
    case 'propagation': {
      const f = figures as Partial<PropagationFigures>;
      if (!f.byChange || !f.fromRequest || !f.fromAnswer) return '';
      const parts = Object.entries(f.byChange).map(
        ([change, c]) => `${change} p50/p99/max ${c.fromRequest.p50}/${c.fromRequest.p99}/${c.fromRequest.max} ms`,
      );
      return `admin request start on A -> refused on B (${f.iterations} each): ${parts.join(', ')}; all p99 ${f.fromRequest.p99} ms; A's answer -> refused on B p50 ${f.fromAnswer.p50} ms, max ${f.fromAnswer.max} ms`;
    }
    case 'webhooks': {
      const f = figures as Partial<WebhookFigures>;
      if (!f.handling || !f.settle) return '';
      const s = f.settle;
      return (
        `handling p99 ${range(f.handling.p99)} ms (applied ${range(f.handling.p99Applied)}, duplicate ${range(f.handling.p99Duplicate)}), ` +
        `${range(f.handling.cpuMicrosPerEvent)} µs CPU/event; change -> settled by webhook p50 ${range(s.byWebhook.p50)} ms, ` +
        `max ${range(s.byWebhook.max)} ms; by status query (interval ${s.byStatusQuery.intervalMs} ms) p50 ${range(s.byStatusQuery.p50)} ms, ` +
        `max ${range(s.byStatusQuery.max)} ms (bound ${s.byStatusQuery.boundMs} ms); load ${f.loadAverage?.start.join(' ')} -> ${f.loadAverage?.end.join(' ')}`
      );
    }
    case 'soak': {
      const f = figures as Partial<SoakFigures>;
      return f.rssMaxMiB !== undefined
        ? `RSS boot ${fmt(f.bootRssMiB)} MiB, before ${fmt(f.rssBeforeMiB)}, settled ${fmt(f.rssSettledMiB)}, under load max ${f.rssMaxMiB} / late median ${f.rssLateMedianMiB} / last ${f.rssLastMiB} MiB; ${f.seconds} s at ${f.connections} connections, ${f.requestsPerSecond} req/s, p99 ${f.p99} ms, ${fmt(f.serverCpuMicrosPerRequest)} µs CPU/req`
        : '';
    }
    case 'attack': {
      const f = figures as Partial<AttackFigures>;
      if (!f.stuffing || !f.spraying || !f.victim || !f.baseline) return '';
      return (
        `stuffing ${f.stuffing.clients} addr x ${f.stuffing.accounts} accts: ${f.stuffing.passwordsVerified} verified, ` +
        `<= ${f.stuffing.perAccountPerHour}/account/h (mean ${f.stuffing.meanPerAccountPerHour}); users ${f.baseline.bystanderLoginsPerSecond} -> ` +
        `${f.stuffing.bystanderLoginsPerSecond} logins/s, ${f.stuffing.bystanderLoginsPerSecondAfter} once spent; spraying ${f.spraying.passwordsVerified} verified of ${f.spraying.accountsTried} tried; ` +
        `victim ${round(f.victim.victimSuccessRate * 100, 1)}% of ${f.victim.victimLogins} logins ok, attackers ${f.victim.passwordsVerified} verified`
      );
    }
    case 'outage': {
      const f = figures as Partial<OutageFigures>;
      return f.after && f.before
        ? `before open p99 ${f.before.p99} ms (n=${f.before.count}); after open p99 ${f.after.p99} ms, ${f.after.requestsPerSecond} req/s; timeout ${f.providerTimeoutMs} ms`
        : '';
    }
    default:
      return '';
  }
}

export interface TableRow {
  scenario: string;
  status: string;
  target: string;
  value: string;
  met: string;
}

/** The table's rows: one per scenario (its target, or why it has none), plus one per CPU target. */
export function tableRows(result: Pick<RunResult, 'scenarios'>): TableRow[] {
  return Object.entries(result.scenarios).flatMap(([id, s]) =>
    [s.target ?? null, s.cpuTarget]
      .filter((t, i): t is Target | null => i === 0 || Boolean(t))
      .map((t) => ({
        scenario: id,
        status: s.status + (s.valid === false ? ' (unexpected answers seen)' : ''),
        target: t?.text ?? s.reason ?? '',
        value: t ? fmt(t.value) : '',
        met: t ? (t.met ? 'yes' : 'NO') : '-',
      })),
  );
}

/** The machine line printed above the table. */
export function machineLine(m: RunResult['machine']): string {
  return `Machine: ${m.cpuModel} x${m.cores}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}; commit ${m.commit.slice(0, 12)}${m.dirty ? ' (dirty)' : ''}; load at start ${m.loadAverageAtStart.join(' ')}`;
}

export function printTable(result: RunResult): void {
  console.log(`\n${machineLine(result.machine)}`);
  console.table(tableRows(result));
  for (const [id, s] of Object.entries(result.scenarios)) {
    const line = summary(id, s);
    if (line) console.log(`${id}: ${line}`);
  }
}
