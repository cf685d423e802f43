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

/** The newest .cpuprofile in `dir`, if any. */
export function newestProfile(dir: string): string | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return undefined;
  }
  return files.map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}
