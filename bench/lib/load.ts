import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { latencySummary, median, round } from './stats';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * A process's command name and its CPU times in microseconds (`/proc/<pid>/stat`: user and system,
 * and those of the children it reaped); throws when the process is gone or off Linux. The name sits
 * in parentheses and may itself hold spaces and parentheses, so the fields start after the last one.
 */
function procStat(pid: number | string): { name: string; own: number; reaped: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  const micros = (a: number, b: number): number => ((Number(fields[a]) + Number(fields[b])) * 1e6) / TICKS_PER_SECOND;
  return { name: stat.slice(stat.indexOf('(') + 1, close), own: micros(11, 12), reaped: micros(13, 14) };
}

/** CPU time (user + system) a process has used so far, in microseconds; undefined off Linux. */
export function cpuMicros(pid: number): number | undefined {
  try {
    return procStat(pid).own;
  } catch {
    return undefined;
  }
}

/**
 * The CPU time, in microseconds, of every process whose command name is `command` (`postgres`:
 * the server and all its backends; `redis-server`), summed with the CPU of the children they
 * reaped (a backend that ended is in its postmaster's), so the sum only grows; 0 off Linux. On a
 * shared machine it also counts other clients' work on those servers, so it is read on a quiet one.
 */
export function commandCpuMicros(command: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { name, own, reaped } = procStat(entry);
      if (name === command) total += own + reaped;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total;
}

/** A process's resident set size now (VmRSS), in MiB; undefined off Linux. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

export type StatusCodeStats = Record<string, { count?: number }>;

/** The figures of one measured run (autocannon or closed loop). */
export interface Run {
  serverCpuMicrosPerRequest?: number;
  /**
   * CPU per request, in microseconds, of the parts that share the machine with the server: the
   * load generator itself (this process), PostgreSQL (all its processes) and Redis. A closed loop
   * reads them over its run; on two cores they all draw from the same budget as the server.
   */
  loaderCpuMicrosPerRequest?: number;
  databaseCpuMicrosPerRequest?: number;
  redisCpuMicrosPerRequest?: number;
  /** The server's RSS at the end of the run, in MiB. */
  serverRssMiB?: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  unexpected?: number;
  errors: number;
  timeouts?: number;
  statusCodes?: StatusCodeStats;
}

/** The median figures of a variant over its rounds (sums for the error counts). */
export interface Medians {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  serverCpuMicrosPerRequest?: number;
  serverRssMiB?: number;
  loaderCpuMicrosPerRequest?: number;
  databaseCpuMicrosPerRequest?: number;
  redisCpuMicrosPerRequest?: number;
  non2xx: number;
  unexpected: number;
  errors: number;
}

export type CannonOptions = autocannon.Options & { expectedStatus?: number };

/**
 * One autocannon run; returns the figures the report uses. With `cpuPid`, also the CPU time that
 * process spent per request: a cost figure that noise from other work on the machine barely moves.
 */
export async function cannon(
  { expectedStatus, ...options }: CannonOptions,
  { cpuPid }: { cpuPid?: number } = {},
): Promise<Run> {
  const cpuBefore = cpuPid ? cpuMicros(cpuPid) : undefined;
  const result = await autocannon({ connections: 20, duration: 5, ...options });
  const cpuAfter = cpuPid ? cpuMicros(cpuPid) : undefined;
  const rss = cpuPid ? rssMiB(cpuPid) : undefined;
  const total = result.requests.total;
  const statusCodes: StatusCodeStats | undefined = result.statusCodeStats;
  return {
    ...(cpuBefore !== undefined && cpuAfter !== undefined && total > 0
      ? { serverCpuMicrosPerRequest: Math.round((cpuAfter - cpuBefore) / total) }
      : {}),
    ...(rss !== undefined ? { serverRssMiB: rss } : {}),
    requestsPerSecond: round(total / (result.duration || Number(options.duration) || 5), 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    total,
    non2xx: result.non2xx,
    // Answers other than the expected status (any 2xx when none is given): a run that measured errors.
    unexpected:
      expectedStatus === undefined ? result.non2xx : total - (statusCodes?.[String(expectedStatus)]?.count ?? 0),
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

/** A measured variant: one run of `durationSeconds` (the configured duration when omitted). */
export type Variant = (durationSeconds?: number) => Promise<Run>;

export interface AlternateResult<Name extends string> {
  runs: Record<Name, Run[]>;
  medians: Record<Name, Medians>;
}

/** The medians of a variant's rounds (sums for the error counts). */
export function mediansOf(list: Run[]): Medians {
  return {
    requestsPerSecond: round(median(list.map((x) => x.requestsPerSecond)), 1),
    p50: round(median(list.map((x) => x.p50)), 3),
    p99: round(median(list.map((x) => x.p99)), 3),
    ...(list[0]?.serverCpuMicrosPerRequest !== undefined
      ? { serverCpuMicrosPerRequest: Math.round(median(list.map((x) => x.serverCpuMicrosPerRequest ?? NaN))) }
      : {}),
    ...(list[0]?.serverRssMiB !== undefined
      ? { serverRssMiB: round(median(list.map((x) => x.serverRssMiB ?? NaN)), 1) }
      : {}),
    ...(list[0]?.loaderCpuMicrosPerRequest !== undefined
      ? {
          loaderCpuMicrosPerRequest: Math.round(median(list.map((x) => x.loaderCpuMicrosPerRequest ?? NaN))),
          databaseCpuMicrosPerRequest: Math.round(median(list.map((x) => x.databaseCpuMicrosPerRequest ?? NaN))),
          redisCpuMicrosPerRequest: Math.round(median(list.map((x) => x.redisCpuMicrosPerRequest ?? NaN))),
        }
      : {}),
    non2xx: list.reduce((sum, x) => sum + x.non2xx, 0),
    unexpected: list.reduce((sum, x) => sum + (x.unexpected ?? 0), 0),
    errors: list.reduce((sum, x) => sum + x.errors + (x.timeouts || 0), 0),
  };
}

/**
 * Runs every variant once per round, interleaved (A,B,A,B,…), so that noise from other work on
 * the machine falls on all of them alike. Returns per-variant rounds and medians.
 */
export async function alternate<Name extends string>(
  variants: Record<Name, Variant>,
  {
    rounds = 3,
    warmupSeconds = 2,
    log = () => {},
  }: { rounds?: number; warmupSeconds?: number; log?: (line: string) => void },
): Promise<AlternateResult<Name>> {
  const names = Object.keys(variants) as Name[];
  const runs = Object.fromEntries(names.map((name) => [name, [] as Run[]])) as Record<Name, Run[]>;
  // A short discarded run of each first, so that no variant is measured while its JIT warms up.
  for (const name of names) if (warmupSeconds > 0) await variants[name](warmupSeconds);
  for (let r = 0; r < rounds; r++) {
    // Swap the order every round so neither variant always runs first (warm-up, drift).
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const run = await variants[name]();
      runs[name].push(run);
      const cpu =
        run.serverCpuMicrosPerRequest !== undefined ? `, server CPU ${run.serverCpuMicrosPerRequest} µs/req` : '';
      const shared =
        run.loaderCpuMicrosPerRequest !== undefined
          ? ` (loader ${run.loaderCpuMicrosPerRequest}, PostgreSQL ${run.databaseCpuMicrosPerRequest}, Redis ${run.redisCpuMicrosPerRequest} µs/req)`
          : '';
      log(
        `  round ${r + 1} ${name}: ${run.requestsPerSecond} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms${cpu}${shared}`,
      );
    }
  }
  const medians = Object.fromEntries(names.map((name) => [name, mediansOf(runs[name])])) as Record<Name, Medians>;
  return { runs, medians };
}

/**
 * A closed loop of `concurrency` workers, each awaiting `task(worker)` back to back for
 * `durationMs`; latencies are measured around each task. Used where each request needs state
 * from the previous answer (refresh chains) and for the database floor, so both sides of that
 * ratio are timed the same way.
 */
export async function closedLoop({
  concurrency,
  durationMs,
  task,
  cpuPid,
}: {
  concurrency: number;
  durationMs: number;
  task: (worker: number) => Promise<boolean | void>;
  cpuPid?: number;
}): Promise<Run> {
  const cpuBefore = cpuPid ? cpuMicros(cpuPid) : undefined;
  const loaderBefore = process.cpuUsage();
  const databaseBefore = commandCpuMicros('postgres');
  const redisBefore = commandCpuMicros('redis-server');
  const samples: number[] = [];
  let failures = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(durationMs) * 1000000n;
  const worker = async (index: number): Promise<void> => {
    while (process.hrtime.bigint() < deadline) {
      const t0 = process.hrtime.bigint();
      let ok: boolean;
      try {
        ok = (await task(index)) !== false;
      } catch {
        ok = false;
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (ok) samples.push(ms);
      else failures += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = latencySummary(samples);
  const cpuAfter = cpuPid ? cpuMicros(cpuPid) : undefined;
  const loader = process.cpuUsage(loaderBefore);
  const perRequest = (micros: number): number => Math.round(micros / samples.length);
  return {
    ...(cpuBefore !== undefined && cpuAfter !== undefined && samples.length > 0
      ? { serverCpuMicrosPerRequest: perRequest(cpuAfter - cpuBefore) }
      : {}),
    ...(samples.length > 0
      ? {
          loaderCpuMicrosPerRequest: perRequest(loader.user + loader.system),
          databaseCpuMicrosPerRequest: perRequest(commandCpuMicros('postgres') - databaseBefore),
          redisCpuMicrosPerRequest: perRequest(commandCpuMicros('redis-server') - redisBefore),
        }
      : {}),
    requestsPerSecond: round(samples.length / seconds, 1),
    p50: summary.p50,
    p99: summary.p99,
    max: summary.max,
    total: samples.length,
    non2xx: failures,
    errors: 0,
  };
}
