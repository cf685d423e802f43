'use strict';

function fmt(x) {
  return x === undefined || x === null || Number.isNaN(x) ? '-' : String(x);
}

/** One line of figures per scenario, the way docs/performance.md shows them. */
function summary(id, s) {
  const f = s.figures ?? {};
  switch (id) {
    case 'pipeline':
      return f.protected
        ? `bare ${fmt(f.bare.requestsPerSecond)} req/s p50/p99 ${f.bare.p50}/${f.bare.p99} ms ${f.bare.serverCpuMicrosPerRequest} µs CPU/req; protected ${fmt(f.protected.requestsPerSecond)} req/s p50/p99 ${f.protected.p50}/${f.protected.p99} ms ${f.protected.serverCpuMicrosPerRequest} µs CPU/req (CPU ratio ${f.cpuRatio})`
        : f.bare
          ? `bare ${fmt(f.bare.requestsPerSecond)} req/s p50/p99 ${f.bare.p50}/${f.bare.p99} ms`
          : '';
    case 'peer':
      return f.gateway
        ? `gateway ${fmt(f.gateway.requestsPerSecond)} req/s p99 ${f.gateway.p99} ms ${f.gateway.serverCpuMicrosPerRequest} µs CPU/req; express ${fmt(f.express.requestsPerSecond)} req/s p99 ${f.express.p99} ms ${f.express.serverCpuMicrosPerRequest} µs CPU/req; express+KeyObject ${fmt(f.expressKeyObject.requestsPerSecond)} req/s p99 ${f.expressKeyObject.p99} ms ${f.expressKeyObject.serverCpuMicrosPerRequest} µs CPU/req (ratio ${f.ratioKeyObject})`
        : '';
    case 'redis':
      return f.protected
        ? `/v1/auth/me: Redis ${f.protected.redis.roundTripsPerRequest} RT ${JSON.stringify(f.protected.redis.byCommand)}, PostgreSQL ${f.protected.database.roundTripsPerRequest} RT; refresh: Redis ${f.refresh.redis.roundTripsPerRequest} RT, PostgreSQL ${f.refresh.database.roundTripsPerRequest} RT;${f.paymentWithBreakerOpen ? ` payment (breaker open): Redis ${f.paymentWithBreakerOpen.redis.roundTripsPerRequest} RT, PostgreSQL ${f.paymentWithBreakerOpen.database.roundTripsPerRequest} RT;` : ''} express peer: Redis ${f.expressPeer.redis.roundTripsPerRequest} RT ${JSON.stringify(f.expressPeer.redis.byCommand)}; /health/live: ${f.bare.redis.roundTripsPerRequest} / ${f.bare.database.roundTripsPerRequest}`
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
  const rows = Object.entries(result.scenarios).map(([id, s]) => ({
    scenario: id,
    status: s.status + (s.valid === false ? ' (non-2xx seen)' : ''),
    target: s.target?.text ?? s.reason ?? '',
    value: s.target ? fmt(s.target.value) : '',
    met: s.target ? (s.target.met ? 'yes' : 'NO') : '-',
  }));
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
