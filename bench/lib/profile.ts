import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './servers';

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) that the summaries read. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
  /** Microseconds on the machine's monotonic clock (the one process.hrtime reads). */
  startTime?: number;
}

/**
 * Keeps only the samples taken between `fromMicros` and `toMicros` (process.hrtime.bigint() / 1000
 * in any process on the machine: V8 stamps samples with the same monotonic clock), e.g. the load
 * phase of a run without the boot before it and the shutdown after it.
 */
export function sliceProfile(profile: CpuProfile, fromMicros: number, toMicros: number): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = profile.startTime ?? 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromMicros || at > toMicros) return;
    samples.push(id);
    timeDeltas.push(profile.timeDeltas[i] ?? 0);
  });
  return { ...profile, samples, timeDeltas };
}

export interface FrameShare {
  frame: string;
  selfMs: number;
  share: number;
}

export const readProfile = (file: string): CpuProfile => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

/**
 * Which package (node_modules), gateway folder (dist/platform/<part> or dist/features/<feature>, else
 * dist/<file>) or else a frame's URL belongs to.
 */
function packageOf(url: string): string | undefined {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (!url.includes('/dist/')) return undefined;
  const parts = (url.split('/dist/')[1] ?? '').split('/');
  const layer = parts[0] === 'platform' || parts[0] === 'features' ? parts.slice(0, 2) : parts.slice(0, 1);
  return 'gateway dist/' + layer.join('/');
}

/** Top frames by self time. */
export function topFrames(profile: CpuProfile, limit = 15): FrameShare[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    const url = frame.url ? relative(ROOT, frame.url.replace(/^file:\/\//, '')) : '';
    const key = `${frame.functionName || '(anonymous)'} ${url}${url ? `:${frame.lineNumber + 1}` : ''}`;
    selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
    total += delta;
  });
  return [...selfMicros.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, micros]) => ({
      frame,
      selfMs: Math.round(micros / 1000),
      share: Math.round((micros / total) * 1000) / 10,
    }));
}

/** Self time by package or source folder, to say which layer the time goes to. */
export function byPackage(profile: CpuProfile): { package: string; share: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const sums = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    const url = frame.url.replace(/^file:\/\//, '');
    const pkg = packageOf(url) ?? (url.startsWith('node:') ? 'node core' : frame.functionName || '(native)');
    sums.set(pkg, (sums.get(pkg) ?? 0) + delta);
    total += delta;
  });
  return [...sums.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([pkg, micros]) => ({ package: pkg, share: Math.round((micros / total) * 1000) / 10 }));
}

/**
 * Inclusive share of CPU time per package or gateway folder: a sample counts for every package on
 * its stack, so "@prisma/client 20%" means 20% of busy time was spent inside Prisma calls.
 */
export function inclusiveByPackage(profile: CpuProfile): { package: string; inclusiveShare: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const sums = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    if (byId.get(id)?.callFrame.functionName === '(idle)') return;
    total += delta;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const pkg = packageOf(byId.get(at)?.callFrame.url.replace(/^file:\/\//, '') ?? '');
      if (pkg) seen.add(pkg);
    }
    for (const pkg of seen) sums.set(pkg, (sums.get(pkg) ?? 0) + delta);
  });
  return [...sums.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([pkg, micros]) => ({ package: pkg, inclusiveShare: Math.round((micros / total) * 1000) / 10 }));
}

/**
 * The newest .cpuprofile of a main thread in `dir`, if any. `--cpu-prof` names files
 * CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile and writes one per thread: a process
 * run through tsx also has its loader's worker thread (thread id 1 and up).
 */
export function newestProfile(dir: string): string | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !/\.[1-9]\d*\.\d+\.cpuprofile$/.test(f));
  } catch {
    return undefined;
  }
  return files.map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** A stage of the request path: the frames (by URL fragment, optionally function name) that belong to it. */
export interface Stage {
  name: string;
  urls: string[];
  functions?: RegExp;
}

/**
 * The stages of a protected request, innermost first: a sample is charged to the first stage
 * found walking up its stack from the frame that was running, so a library called from the
 * gateway's guard counts as the library's stage, and nothing is counted twice.
 */
export const REQUEST_STAGES: Stage[] = [
  { name: 'rate-limit script (ioredis, parser)', urls: ['node_modules/ioredis/', 'node_modules/redis-parser/'] },
  {
    name: 'pg query (pg, pg-protocol)',
    urls: ['node_modules/pg/', 'node_modules/pg-protocol/', 'node_modules/pg-pool/'],
  },
  {
    name: 'token check (tokens code, HMAC; jsonwebtoken in older builds)',
    urls: [
      'node_modules/jsonwebtoken/',
      'node_modules/jws/',
      'node_modules/jwa/',
      'node_modules/@nestjs/jwt/',
      'dist/features/auth/tokens/',
    ],
  },
  { name: 'identity cache', urls: ['dist/features/auth/identity/'] },
  {
    name: 'access log (pino, hooks)',
    urls: [
      'node_modules/pino/',
      'node_modules/sonic-boom/',
      'node_modules/@pinojs/',
      'node_modules/fast-redact/',
      'node_modules/nestjs-pino/',
      'dist/platform/http/access-log',
    ],
  },
  { name: 'metrics (prom-client, hook)', urls: ['node_modules/prom-client/', 'dist/platform/metrics/'] },
  {
    name: 'problem filter (404 body)',
    urls: [
      'dist/platform/problems/',
      'node_modules/@nestjs/core/exceptions/',
      'node_modules/@nestjs/core/router/router-proxy',
    ],
  },
  {
    name: 'param validation (ParseUUIDPipe, validation pipe)',
    urls: [
      'node_modules/@nestjs/common/pipes/',
      'node_modules/class-validator/',
      'node_modules/class-transformer/',
      'node_modules/validator/',
      'dist/platform/validation/',
    ],
  },
  {
    name: 'rate-limit guard (throttler, key, headers)',
    urls: ['node_modules/@nestjs/throttler/', 'dist/platform/rate-limit/'],
  },
  { name: 'auth and roles guards', urls: ['dist/features/auth/'] },
  { name: 'payments controller, service, repository', urls: ['dist/features/payments/'] },
  {
    name: 'security headers, request id (hooks)',
    urls: ['dist/app.factory', 'dist/platform/http/security-headers', 'dist/platform/validation/request-id'],
  },
  {
    name: 'Nest guard/pipe/interceptor chain',
    urls: ['node_modules/@nestjs/core/', 'node_modules/rxjs/', 'node_modules/@nestjs/common/'],
  },
  { name: 'Nest Fastify adapter', urls: ['node_modules/@nestjs/platform-fastify/'] },
  {
    name: 'Fastify routing and reply',
    urls: [
      'node_modules/fastify/',
      'node_modules/find-my-way/',
      'node_modules/@fastify/',
      'node_modules/fast-json-stringify/',
    ],
  },
];

/** CPU time per stage (see REQUEST_STAGES), idle left out; what no stage claims is named by its top frame kind. */
export function stageShares(
  profile: CpuProfile,
  stages: Stage[] = REQUEST_STAGES,
): { stage: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const cache = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = cache.get(id);
    if (known) return known;
    let found: string | undefined;
    // The innermost frame outside Node's core and native code names the stage: a socket write
    // made by ioredis is the rate limit's, an HMAC computed by the token code is the token check's.
    for (let at: number | undefined = id; at !== undefined && !found; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      const url = frame.url.replace(/^file:\/\//, '');
      if (url === '' || url.startsWith('node:')) continue;
      found =
        stages.find(
          (s) => s.urls.some((u) => url.includes(u)) && (!s.functions || s.functions.test(frame.functionName)),
        )?.name ?? `(other) ${packageOf(url) ?? url.split('/').slice(-2).join('/')}`;
    }
    if (!found && byId.get(id)?.callFrame.url.startsWith('node:')) found = 'node:http and sockets';
    const leaf = byId.get(id)?.callFrame.functionName ?? '';
    const name = found ?? (leaf.startsWith('(') ? leaf : '(other)');
    cache.set(id, name);
    return name;
  };
  const sums = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    if (byId.get(id)?.callFrame.functionName === '(idle)') return;
    const stage = stageOf(id);
    sums.set(stage, (sums.get(stage) ?? 0) + delta);
    total += delta;
  });
  return [...sums.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([stage, micros]) => ({
      stage,
      ms: Math.round(micros / 1000),
      share: Math.round((micros / total) * 1000) / 10,
    }));
}
