import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  benchGatewayEnv,
  IMAGE_JEMALLOC_LINK,
  JEMALLOC_CONF,
  jemallocCandidates,
  jemallocPreload,
} from './gateway-env';

const base = {
  databaseUrl: 'postgresql://bench@127.0.0.1/db',
  prefix: 'gwbench:x:',
  providerUrl: 'http://127.0.0.1:9',
  logLevel: 'info',
};

describe('the bench gateway allocator', () => {
  it("looks for Debian's libjemalloc2 by the machine's multiarch directory, then the image's link", () => {
    expect(jemallocCandidates('x64')).toEqual([
      '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
      '/usr/local/lib/libjemalloc.so.2',
    ]);
    expect(jemallocCandidates('arm64')[0]).toBe('/usr/lib/aarch64-linux-gnu/libjemalloc.so.2');
    expect(jemallocCandidates('riscv64')).toEqual(['/usr/local/lib/libjemalloc.so.2']);
  });

  it('preloads the first library found, and refuses to run without one, saying how to measure glibc', () => {
    expect(jemallocPreload(['/a/lib.so', '/b/lib.so'], (path) => path === '/b/lib.so')).toBe('/b/lib.so');
    expect(() => jemallocPreload(['/a/lib.so'], () => false)).toThrow(/apt-get install libjemalloc2.*"LD_PRELOAD":""/);
  });

  it('an empty LD_PRELOAD in --gateway-env runs glibc without looking for jemalloc; glibc keeps its settings', () => {
    const env = benchGatewayEnv({ ...base, extra: { LD_PRELOAD: '', MALLOC_CONF: '' } });
    expect(env.LD_PRELOAD).toBeUndefined();
    expect(env.MALLOC_CONF).toBeUndefined();
    expect(env).toMatchObject({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576' });
  });

  it('a given LD_PRELOAD wins, and jemalloc gets the image settings only by default', () => {
    const env = benchGatewayEnv({ ...base, extra: { LD_PRELOAD: '/opt/other.so' } });
    expect(env.LD_PRELOAD).toBe('/opt/other.so');
    expect(env.MALLOC_CONF).toBeUndefined();
    expect(JEMALLOC_CONF).toContain('background_thread:true');
  });

  it('runs the gateway as the image does: the Dockerfile preloads the linked library with the same settings', () => {
    const dockerfile = readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8');
    expect(jemallocCandidates().at(-1)).toBe(IMAGE_JEMALLOC_LINK);
    expect(dockerfile).toContain(`libjemalloc.so.2" ${IMAGE_JEMALLOC_LINK}`);
    expect(dockerfile).toContain(`ENV LD_PRELOAD=${IMAGE_JEMALLOC_LINK}`);
    expect(dockerfile).toContain(`MALLOC_CONF=${JEMALLOC_CONF}`);
    expect(dockerfile).toMatch(/MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576/);
  });
});
