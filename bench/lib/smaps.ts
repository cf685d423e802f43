import { readFileSync, readlinkSync } from 'node:fs';

/** One mapping of /proc/<pid>/smaps: its address range, permissions, path, and sizes in kB. */
export interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  path: string;
  /** Virtual size. */
  sizeKb: number;
  rssKb: number;
}

/** Parses the text of /proc/<pid>/smaps into its mappings. */
export function parseSmaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      current = {
        start: BigInt(`0x${head[1]}`),
        end: BigInt(`0x${head[2]}`),
        perms: head[3] ?? '',
        path: (head[4] ?? '').trim(),
        sizeKb: 0,
        rssKb: 0,
      };
      mappings.push(current);
      continue;
    }
    const field = /^(Size|Rss):\s+(\d+) kB$/.exec(line);
    if (field && current) {
      if (field[1] === 'Size') current.sizeKb = Number(field[2]);
      else current.rssKb = Number(field[2]);
    }
  }
  return mappings;
}

/** The groups a gateway's resident memory is split into (kB resident in each). */
export const SMAPS_GROUPS = [
  'node binary (file-backed)',
  'other files (shared libraries, locale)',
  'executable anonymous (V8 code space, WebAssembly code)',
  'WebAssembly linear memory',
  'glibc main heap (brk)',
  'glibc arenas (64 MiB reservations)',
  'thread stacks',
  'other anonymous (V8 heap pages, glibc mmap blocks)',
] as const;
export type SmapsGroup = (typeof SMAPS_GROUPS)[number];

const KB_64_MIB = 64 * 1024;
/** V8 puts a guard region of 2 GiB (inaccessible) before a WebAssembly memory; nothing else here is that large. */
const WASM_GUARD_KB = 1024 * 1024;

/**
 * Charges every mapping's resident kB to one group: the node binary and other files by path;
 * `[heap]` (glibc's main arena) and `[stack]`; anonymous mappings that are executable (V8's code
 * space, WebAssembly code); a WebAssembly memory (V8 reserves it between guard regions: the
 * writable part right after an inaccessible mapping of a GiB or more); a writable mapping right
 * after a guard page (`---p`, up to 64 kB), itself up to 16 MiB: a thread's stack (glibc maps stack
 * and guard together); a writable mapping followed by an inaccessible one, the two 64 MiB together
 * and 64 MiB aligned: a glibc arena (glibc reserves each non-main arena's heap so); everything else
 * anonymous (V8's heap pages, glibc's blocks over its mmap threshold, other native allocations).
 */
export function splitSmaps(mappings: Mapping[], binary: string): Record<SmapsGroup, number> {
  const out = Object.fromEntries(SMAPS_GROUPS.map((group) => [group, 0])) as Record<SmapsGroup, number>;
  const anonymous = (m: Mapping | undefined): boolean =>
    m !== undefined && (m.path === '' || m.path.startsWith('[anon'));
  mappings.forEach((m, i) => {
    const before = mappings[i - 1];
    const after = mappings[i + 1];
    let group: SmapsGroup;
    if (m.path === binary) group = 'node binary (file-backed)';
    else if (m.path === '[heap]') group = 'glibc main heap (brk)';
    else if (m.path === '[stack]') group = 'thread stacks';
    else if (!anonymous(m)) group = 'other files (shared libraries, locale)';
    else if (m.perms.includes('x')) group = 'executable anonymous (V8 code space, WebAssembly code)';
    else if (
      m.perms.startsWith('rw') &&
      anonymous(before) &&
      before?.perms === '---p' &&
      before.end === m.start &&
      before.sizeKb >= WASM_GUARD_KB
    )
      group = 'WebAssembly linear memory';
    else if (
      m.perms.startsWith('rw') &&
      anonymous(after) &&
      after?.perms === '---p' &&
      after.start === m.end &&
      m.sizeKb + after.sizeKb === KB_64_MIB &&
      m.start % BigInt(KB_64_MIB * 1024) === 0n
    )
      group = 'glibc arenas (64 MiB reservations)';
    else if (
      m.perms.startsWith('rw') &&
      anonymous(before) &&
      before?.perms === '---p' &&
      before.end === m.start &&
      before.sizeKb <= 64 &&
      m.sizeKb <= 16 * 1024
    )
      group = 'thread stacks';
    else group = 'other anonymous (V8 heap pages, glibc mmap blocks)';
    out[group] += m.rssKb;
  });
  return out;
}

/** The split of a live process, in MiB (one decimal). */
export function smapsSplitMiB(pid: number): Record<SmapsGroup, number> {
  const binary = readlinkSync(`/proc/${pid}/exe`);
  const split = splitSmaps(parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8')), binary);
  return Object.fromEntries(Object.entries(split).map(([group, kb]) => [group, Math.round(kb / 102.4) / 10])) as Record<
    SmapsGroup,
    number
  >;
}
