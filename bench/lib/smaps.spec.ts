import { parseSmaps, splitSmaps } from './smaps';

/** One smaps entry: header line, then the Size and Rss lines (the fields the split reads). */
const entry = (start: number, sizeKb: number, perms: string, rssKb: number, path = ''): string => {
  const end = start + sizeKb * 1024;
  return [
    `${start.toString(16)}-${end.toString(16)} ${perms} 00000000 00:00 0                          ${path}`,
    `Size:             ${sizeKb} kB`,
    'KernelPageSize:        4 kB',
    `Rss:              ${rssKb} kB`,
    'Pss:                 0 kB',
  ].join('\n');
};

describe('smaps split', () => {
  const MiB = 1024 * 1024;
  const arena = 0x7f0000000000; // 64 MiB aligned
  const wasmGuard = 0x7e0000000000;
  const stack = 0x7d0000000000;
  const text = [
    entry(0x400000, 8000, 'r-xp', 7000, '/usr/bin/node'),
    entry(0x1000000, 2000, 'rw-p', 1500, '[heap]'),
    entry(0x2000000, 1000, 'r-xp', 900, '/usr/lib/x86_64-linux-gnu/libc.so.6'),
    entry(0x3000000, 512, 'rwxp', 400),
    entry(0x4000000, 256, 'rw-p', 256),
    entry(wasmGuard, 2 * 1024 * 1024, '---p', 0),
    entry(wasmGuard + 2 * 1024 * MiB, 1472, 'rw-p', 408),
    entry(stack, 4, '---p', 0),
    entry(stack + 4096, 8188, 'rw-p', 12),
    entry(arena, 40 * 1024, 'rw-p', 3000),
    entry(arena + 40 * MiB, 24 * 1024, '---p', 0),
    entry(0x7ffff0000000, 132, 'rw-p', 40, '[stack]'),
  ].join('\n');

  it('parses each mapping with its range, permissions, path and sizes', () => {
    const mappings = parseSmaps(text);
    expect(mappings).toHaveLength(12);
    expect(mappings[0]).toEqual({
      start: 0x400000n,
      end: BigInt(0x400000 + 8000 * 1024),
      perms: 'r-xp',
      path: '/usr/bin/node',
      sizeKb: 8000,
      rssKb: 7000,
    });
    expect(mappings[3]?.path).toBe('');
  });

  it('charges every resident kB to one group', () => {
    expect(splitSmaps(parseSmaps(text), '/usr/bin/node')).toEqual({
      'node binary (file-backed)': 7000,
      'other files (shared libraries, locale)': 900,
      'executable anonymous (V8 code space, WebAssembly code)': 400,
      'WebAssembly linear memory': 408,
      'glibc main heap (brk)': 1500,
      'glibc arenas (64 MiB reservations)': 3000,
      'thread stacks': 52,
      'other anonymous (V8 heap pages, glibc mmap blocks)': 256,
    });
  });
});
