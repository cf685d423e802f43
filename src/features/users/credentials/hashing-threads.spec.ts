import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { ARGON2_OPTIONS } from './password-hasher';
import { HashingThreadError, HashingThreads } from './hashing-threads';

/** The nice value of every thread of this process, by thread id (Linux: field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(): Map<number, number> {
  const values = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      values.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return values;
}

/** The worker threads of a pool (to stop one the way a crash would). */
function workersOf(threads: HashingThreads): Worker[] {
  return [...(threads as unknown as { threads: Set<{ worker: Worker }> }).threads].map((thread) => thread.worker);
}

const linux = process.platform === 'linux' ? it : it.skip;

describe('HashingThreads', () => {
  let threads: HashingThreads;

  afterEach(async () => {
    await threads?.close();
  });

  it('hashes and verifies with argon2id on its own threads, never more than its size', async () => {
    threads = new HashingThreads(1, 19);
    const hashes = await Promise.all(['one', 'two', 'three'].map((p) => threads.hash(`${p} password`, ARGON2_OPTIONS)));
    expect(threads.started).toBe(1);
    expect(hashes[0]).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(threads.verify(hashes[1] ?? '', 'two password')).resolves.toBe(true);
    await expect(threads.verify(hashes[1] ?? '', 'one password')).resolves.toBe(false);
    expect(threads.started).toBe(1);
  });

  it('answers argon2 refusing a malformed hash as an error of its own, not a thread failure', async () => {
    threads = new HashingThreads(1, 0);
    const refused = await threads.verify('not-a-phc-string', 'whatever').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(refused).not.toBeInstanceOf(HashingThreadError);
    expect(String((refused as Error).message)).not.toContain('whatever');
  });

  linux('lowers the hashing thread to the nice value it is given, and only that thread', async () => {
    const before = threadNiceness();
    threads = new HashingThreads(1, 19);
    await threads.hash('a password', ARGON2_OPTIONS);
    const after = threadNiceness();
    const added = [...after].filter(([tid]) => !before.has(tid));
    expect(added.map(([, nice]) => nice)).toContain(19);
    expect(after.get(process.pid)).toBe(before.get(process.pid));
    expect([...after].filter(([tid, nice]) => nice === 19 && before.get(tid) !== 19)).toHaveLength(1);
  });

  it('answers a task whose thread dies with HashingThreadError, then starts a fresh thread', async () => {
    threads = new HashingThreads(1, 0);
    await threads.hash('warm', ARGON2_OPTIONS);
    const inHand = threads.hash('in hand when its thread dies', ARGON2_OPTIONS);
    const waiting = threads.hash('waiting for a thread', ARGON2_OPTIONS);
    await workersOf(threads)[0]?.terminate();
    await expect(inHand).rejects.toBeInstanceOf(HashingThreadError);
    await expect(waiting).resolves.toMatch(/^\$argon2id\$/);
    expect(threads.started).toBe(1);
  });

  it('rejects what is waiting and what comes after close', async () => {
    threads = new HashingThreads(1, 0);
    const inHand = threads.hash('first', ARGON2_OPTIONS);
    const waiting = threads.hash('second', ARGON2_OPTIONS);
    const settled = Promise.allSettled([inHand, waiting]);
    await threads.close();
    const [first, second] = await settled;
    expect(first.status === 'rejected' && first.reason).toBeInstanceOf(HashingThreadError);
    expect(second.status === 'rejected' && second.reason).toBeInstanceOf(HashingThreadError);
    await expect(threads.hash('third', ARGON2_OPTIONS)).rejects.toBeInstanceOf(HashingThreadError);
  });

  it('starts every thread with one verification each on startAll, before any task asks', async () => {
    threads = new HashingThreads(3, 0);
    const hash = await threads.hash('a password', ARGON2_OPTIONS);
    expect(threads.started).toBe(1);
    await threads.startAll(hash, 'another password');
    expect(threads.started).toBe(3);
    // Three tasks at once now find three threads ready: none waits for a start.
    await expect(Promise.all([1, 2, 3].map(() => threads.verify(hash, 'a password')))).resolves.toEqual([
      true,
      true,
      true,
    ]);
    expect(threads.started).toBe(3);
  });

  it('does not keep a process alive once its hashes are done', async () => {
    const script = `
      const { HashingThreads } = require(${JSON.stringify(join(__dirname, 'hashing-threads.ts'))});
      const { ARGON2_OPTIONS } = require(${JSON.stringify(join(__dirname, 'password-hasher.ts'))});
      const threads = new HashingThreads(2, 19);
      threads.hash('a password', ARGON2_OPTIONS).then(async (hash) => {
        await threads.startAll(hash, 'a password');
        process.stdout.write(threads.started + hash.slice(0, 9));
      });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: join(__dirname, '../../../..'),
      timeout: 60_000,
    });
    expect(stdout).toBe('2$argon2id');
  });
});
