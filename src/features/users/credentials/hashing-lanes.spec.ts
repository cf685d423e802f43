import { HashingLanes, HashingLanesFullError } from './hashing-lanes';

/** A task that runs until `finish` is called, recording when it started. */
function task(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const work = async (): Promise<string> => {
    log.push(name);
    await done;
    return name;
  };
  return { work, finish };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('HashingLanes', () => {
  it('runs up to `concurrency` at once, queues in shared places, then refuses a shared task', async () => {
    const lanes = new HashingLanes({ concurrency: 1, shared: 1, reserved: 0 });
    const log: string[] = [];
    const a = task(log, 'a');
    const b = task(log, 'b');
    const running = lanes.run('shared', a.work);
    const waiting = lanes.run('shared', b.work);
    await settle();
    expect(log).toEqual(['a']);
    expect(lanes.queued).toBe(1);
    expect(lanes.hasRoom('shared')).toBe(false);
    await expect(lanes.run('shared', task(log, 'c').work)).rejects.toBeInstanceOf(HashingLanesFullError);
    a.finish();
    await expect(running).resolves.toBe('a');
    await settle();
    expect(log).toEqual(['a', 'b']);
    b.finish();
    await expect(waiting).resolves.toBe('b');
    expect(lanes.queued).toBe(0);
    expect(lanes.hasRoom('shared')).toBe(true);
  });

  it('keeps the reserved places for the known lane, and serves a known task next, ahead of older shared ones', async () => {
    const lanes = new HashingLanes({ concurrency: 1, shared: 2, reserved: 1 });
    const log: string[] = [];
    const tasks = Object.fromEntries(['run', 's1', 's2', 'k1', 'k2'].map((n) => [n, task(log, n)]));
    const results = [
      lanes.run('shared', tasks.run!.work),
      lanes.run('shared', tasks.s1!.work),
      lanes.run('shared', tasks.s2!.work),
    ];
    // The shared places are full: a shared task is refused, a known one takes the kept place.
    expect(lanes.hasRoom('shared')).toBe(false);
    expect(lanes.hasRoom('known')).toBe(true);
    await expect(lanes.run('shared', () => Promise.resolve('x'))).rejects.toBeInstanceOf(HashingLanesFullError);
    results.push(lanes.run('known', tasks.k1!.work));
    // Every place is taken now, the kept one too.
    expect(lanes.hasRoom('known')).toBe(false);
    await expect(lanes.run('known', tasks.k2!.work)).rejects.toBeInstanceOf(HashingLanesFullError);
    expect(lanes.queued).toBe(3);
    // The freed slot goes to the known task, although two shared tasks waited longer.
    for (const name of ['run', 'k1', 's1', 's2']) {
      await settle();
      expect(log.at(-1)).toBe(name);
      tasks[name]!.finish();
    }
    await expect(Promise.all(results)).resolves.toEqual(['run', 's1', 's2', 'k1']);
    expect(log).toEqual(['run', 'k1', 's1', 's2']);
    expect(lanes.queued).toBe(0);
  });

  it('alternates freed slots between the lanes while both wait: neither starves the other', async () => {
    const lanes = new HashingLanes({ concurrency: 1, shared: 3, reserved: 3 });
    const log: string[] = [];
    const names = ['run', 's1', 's2', 's3', 'k1', 'k2', 'k3'];
    const tasks = Object.fromEntries(names.map((n) => [n, task(log, n)]));
    const results = names.map((n) => lanes.run(n.startsWith('k') ? 'known' : 'shared', tasks[n]!.work));
    const order = ['run', 'k1', 's1', 'k2', 's2', 'k3', 's3'];
    for (const name of order) {
      await settle();
      expect(log.at(-1)).toBe(name);
      tasks[name]!.finish();
    }
    await Promise.all(results);
    expect(log).toEqual(order);
  });

  it('lets a known task wait in a shared place when the kept places are taken', async () => {
    const lanes = new HashingLanes({ concurrency: 1, shared: 1, reserved: 1 });
    const log: string[] = [];
    const [a, k1, k2] = [task(log, 'a'), task(log, 'k1'), task(log, 'k2')];
    const results = [lanes.run('shared', a.work), lanes.run('known', k1.work), lanes.run('known', k2.work)];
    expect(lanes.hasRoom('known')).toBe(false);
    a.finish();
    await settle();
    k1.finish();
    await settle();
    k2.finish();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'k1', 'k2']);
  });

  it('frees the slot when a task fails, and hands it on', async () => {
    const lanes = new HashingLanes({ concurrency: 1, shared: 1, reserved: 0 });
    let fail!: (error: Error) => void;
    const failing = lanes.run('shared', () => new Promise((_, reject) => (fail = reject)));
    const next = lanes.run('shared', () => Promise.resolve('next'));
    await settle();
    fail(new Error('thread died'));
    await expect(failing).rejects.toThrow('thread died');
    await expect(next).resolves.toBe('next');
    expect(lanes.hasRoom('shared')).toBe(true);
    await expect(lanes.run('shared', () => Promise.resolve('again'))).resolves.toBe('again');
  });

  it('runs tasks in parallel up to the concurrency', async () => {
    const lanes = new HashingLanes({ concurrency: 3, shared: 0, reserved: 0 });
    const log: string[] = [];
    const tasks = ['a', 'b', 'c'].map((n) => task(log, n));
    const results = tasks.map((t) => lanes.run('shared', t.work));
    await settle();
    expect(log).toEqual(['a', 'b', 'c']);
    expect(lanes.hasRoom('known')).toBe(false);
    for (const t of tasks) t.finish();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c']);
  });
});
