'use strict';

function fmt(x) {
  return x === undefined || x === null || Number.isNaN(x) ? '-' : String(x);
}

/** One line of figures per scenario, the way docs/performance.md shows them. */
function summary(id, s) {
  const f = s.figures ?? {};
  switch (id) {
    case 'pipeline': {
      if (!f.protected) return f.bare ? `bare ${fmt(f.bare.requestsPerSecond)} req/s p50/p99 ${f.bare.p50}/${f.bare.p99} ms` : '';
      const row = (name, m) =>
        `${name} ${fmt(m.requestsPerSecond)} req/s p50/p99 ${m.p50}/${m.p99} ms ${m.serverCpuMicrosPerRequest} µs CPU/req`;
      const r = f.ratios ?? {};
      const range = (x) => (x ? `${x.median} (${x.min}-${x.max})` : '-');
      return [
        row('bare', f.bare),
        row('/me', f.protected),
        ...(f.payment ? [row('payment 404', f.payment)] : []),
        `ratios /me ${range(r.protected)} by CPU ${range(r.protectedByCpu)}; payment ${range(r.payment)} by CPU ${range(r.paymentByCpu)}`,
      ].join('; ');
    }
    case 'peer': {
      if (!f.gatewayPayment) return '';
      const row = (name, m) => `${name} ${fmt(m.requestsPerSecond)} req/s p99 ${m.p99} ms ${m.serverCpuMicrosPerRequest} µs CPU/req`;
      const r = f.ratios;
      const range = (x) => `${x.median} (${x.min}-${x.max})`;
      return [
        row('gateway payment', f.gatewayPayment),
        row('fair peer payment', f.fairPayment),
        row('naive peer payment', f.naivePayment),
        row('gateway /me', f.gatewayMe),
        row('fair peer /me', f.fairMe),
        row('naive peer /me', f.naiveMe),
        `payment vs fair ${range(r.paymentVsFair)} (by CPU ${range(r.paymentVsFairByCpu)}), vs naive ${range(r.paymentVsNaive)}; /me vs fair ${range(r.meVsFair)} (by CPU ${range(r.meVsFairByCpu)}), vs naive ${range(r.meVsNaive)}`,
      ].join('; ');
    }
    case 'redis':
      return f.protected
        ? `${f.paymentRead ? `payment read: Redis ${f.paymentRead.redis.roundTripsPerRequest} RT, PostgreSQL ${f.paymentRead.database.roundTripsPerRequest} RT; ` : ''}${f.expressPeerPaymentRead ? `fair peer payment read: Redis ${f.expressPeerPaymentRead.redis.roundTripsPerRequest} RT, PostgreSQL ${f.expressPeerPaymentRead.database.roundTripsPerRequest} RT; ` : ''}/v1/auth/me: Redis ${f.protected.redis.roundTripsPerRequest} RT ${JSON.stringify(f.protected.redis.byCommand)}, PostgreSQL ${f.protected.database.roundTripsPerRequest} RT; refresh: Redis ${f.refresh.redis.roundTripsPerRequest} RT, PostgreSQL ${f.refresh.database.roundTripsPerRequest} RT;${f.paymentWithBreakerOpen ? ` payment (breaker open): Redis ${f.paymentWithBreakerOpen.redis.roundTripsPerRequest} RT, PostgreSQL ${f.paymentWithBreakerOpen.database.roundTripsPerRequest} RT;` : ''} fair peer /me: Redis ${f.expressPeer.redis.roundTripsPerRequest} RT ${JSON.stringify(f.expressPeer.redis.byCommand)}, PostgreSQL ${f.expressPeer.database?.roundTripsPerRequest ?? '-'} RT; /health/live: ${f.bare.redis.roundTripsPerRequest} / ${f.bare.database.roundTripsPerRequest}`
        : '';
    case 'refresh':
      return f.refresh
        ? `refresh ${fmt(f.refresh.requestsPerSecond)} req/s p50/p99 ${f.refresh.p50}/${f.refresh.p99} ms; floor ${fmt(f.floor.requestsPerSecond)} q/s p50/p99 ${f.floor.p50}/${f.floor.p99} ms`
        : '';
    case 'flood':
      return f.healthDuringFlood
        ? `/health/live p99 quiet ${f.healthQuiet.p99} ms, flood ${f.healthDuringFlood.p99} ms (control server: ${f.controlQuiet.p99} / ${f.controlDuringFlood.p99} ms); flood ${f.flood.requestsPerSecond} req/s ${JSON.stringify(Object.fromEntries(Object.entries(f.flood.statusCodes).map(([k, v]) => [k, v.count])))}`
        : '';
    case 'outage':
      return f.after
        ? `before open p99 ${f.before.p99} ms (n=${f.before.count}); after open p99 ${f.after.p99} ms, ${f.after.requestsPerSecond} req/s; timeout ${f.providerTimeoutMs} ms`
        : '';
    default:
      return '';
  }
}

function printTable(result) {
  const rows = Object.entries(result.scenarios).flatMap(([id, s]) =>
    [s.target ?? null, s.cpuTarget]
      .filter((t, i) => i === 0 || t)
      .map((t) => ({
        scenario: id,
        status: s.status + (s.valid === false ? ' (unexpected answers seen)' : ''),
        target: t?.text ?? s.reason ?? '',
        value: t ? fmt(t.value) : '',
        met: t ? (t.met ? 'yes' : 'NO') : '-',
      })),
  );
  const m = result.machine;
  console.log(
    `\nMachine: ${m.cpuModel} x${m.cores}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}; commit ${m.commit.slice(0, 12)}${m.dirty ? ' (dirty)' : ''}; load at start ${m.loadAverageAtStart.join(' ')}`,
  );
  console.table(rows);
  for (const [id, s] of Object.entries(result.scenarios)) {
    const line = summary(id, s);
    if (line) console.log(`${id}: ${line}`);
  }
}

module.exports = { printTable, summary };
