'use strict';

const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');
const { ROOT } = require('./processes');

/** Top frames by self time of a V8 .cpuprofile (what `node --cpu-prof` writes). */
function topFrames(file, limit = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
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

/** By package or source folder, to say which layer the time goes to. */
function byPackage(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const sums = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    const url = frame.url.replace(/^file:\/\//, '');
    const pkg =
      /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes('/dist/')
        ? 'gateway dist/' + url.split('/dist/')[1].split('/')[0]
        : url.startsWith('node:')
          ? 'node core'
          : frame.functionName || '(native)');
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
function inclusiveByPackage(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const sums = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    if (byId.get(id)?.callFrame.functionName === '(idle)') return;
    total += delta;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const url = byId.get(at).callFrame.url.replace(/^file:\/\//, '');
      const pkg =
        /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
        (url.includes('/dist/') ? 'gateway dist/' + url.split('/dist/')[1].split('/')[0] : undefined);
      if (pkg) seen.add(pkg);
    }
    for (const pkg of seen) sums.set(pkg, (sums.get(pkg) ?? 0) + delta);
  });
  return [...sums.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([pkg, micros]) => ({ package: pkg, inclusiveShare: Math.round((micros / total) * 1000) / 10 }));
}

function newestProfile(dir) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

if (require.main === module) {
  const file = process.argv[2];
  console.table(topFrames(file, 25));
  console.table(byPackage(file));
  console.table(inclusiveByPackage(file));
}

module.exports = { topFrames, byPackage, inclusiveByPackage, newestProfile };
