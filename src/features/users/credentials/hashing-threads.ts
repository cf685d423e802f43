import { Worker } from 'node:worker_threads';

/** The argon2 parameters a thread hashes with (ARGON2_OPTIONS). */
export interface Argon2Parameters {
  algorithm: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

type Task =
  { op: 'hash'; password: string; options: Argon2Parameters } | { op: 'verify'; hash: string; password: string };

type Answer = { ok: true; value: string | boolean } | { ok: false; message: string; threadGone?: true };

/**
 * What each thread runs. It lowers its own scheduling priority first: on Linux a nice value
 * belongs to a thread (setpriority(2) on the calling thread), so the event loop keeps its own and
 * wins the cores whenever both want one. Elsewhere setpriority would lower the whole process, so it
 * is skipped there. A failed hash or verification answers its message, never the password.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (process.platform === 'linux' && workerData.niceness > 0) {
  try { require('node:os').setPriority(workerData.niceness); } catch {}
}
const argon2 = require(workerData.argon2);
parentPort.on('message', (task) => {
  let answer;
  try {
    const value = task.op === 'hash' ? argon2.hashSync(task.password, task.options) : argon2.verifySync(task.hash, task.password);
    answer = { ok: true, value };
  } catch (error) {
    answer = { ok: false, message: error && error.message ? String(error.message) : 'argon2 failed' };
  }
  parentPort.postMessage(answer);
});
`;

/** A hashing thread stopped (crashed or was closed) with a task of its own in hand. */
export class HashingThreadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HashingThreadError';
  }
}

interface Thread {
  worker: Worker;
  settle?: (answer: Answer) => void;
}

/**
 * argon2 on at most `size` worker threads of its own, each at nice `niceness` (Linux), started by
 * startAll (at boot, see PasswordHasher.warmUp) or on first use, and kept. A hash runs
 * synchronously on its thread, so the event loop never shares a thread with one, and the libuv
 * pool stays free for what else uses it. Tasks beyond `size` wait
 * for a thread here (PasswordHasher's bulkhead in front already bounds them). Idle threads do not
 * keep the process alive.
 */
export class HashingThreads {
  private readonly idle: Thread[] = [];
  private readonly threads = new Set<Thread>();
  private readonly waiting: { resolve: (thread: Thread) => void; reject: (error: Error) => void }[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly niceness: number,
  ) {}

  hash(password: string, options: Argon2Parameters): Promise<string> {
    return this.run({ op: 'hash', password, options }) as Promise<string>;
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.run({ op: 'verify', hash, password }) as Promise<boolean>;
  }

  /**
   * Starts every thread not running yet and has each verify `password` against `hash` once, so
   * that no login pays for a thread's start (a Worker compiles its source and loads argon2) or
   * its first task. A thread that fails here is started afresh by the next task that needs one.
   */
  async startAll(hash: string, password: string): Promise<void> {
    // All `size` tasks take a thread at once: the idle ones first, then a new one each.
    await Promise.all(Array.from({ length: this.size }, () => this.verify(hash, password).catch(() => false)));
  }

  /** Threads started so far (at most `size`). */
  get started(): number {
    return this.threads.size;
  }

  /** Stops every thread; a task in hand or waiting for a thread rejects with HashingThreadError. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new HashingThreadError('password hashing is shut down'));
    await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
  }

  private async run(task: Task): Promise<string | boolean> {
    const thread = await this.acquire();
    if (!this.threads.has(thread)) throw new HashingThreadError('a password hashing thread stopped');
    const answer = await new Promise<Answer>((resolve) => {
      thread.settle = resolve;
      thread.worker.ref();
      thread.worker.postMessage(task);
    });
    if (answer.ok) return answer.value;
    throw answer.threadGone ? new HashingThreadError(answer.message) : new Error(answer.message);
  }

  private acquire(): Promise<Thread> {
    if (this.closed) return Promise.reject(new HashingThreadError('password hashing is shut down'));
    const ready = this.idle.pop();
    if (ready) return Promise.resolve(ready);
    if (this.threads.size < this.size) return Promise.resolve(this.start());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(thread: Thread): void {
    thread.settle = undefined;
    thread.worker.unref();
    const next = this.waiting.shift();
    if (next) next.resolve(thread);
    else this.idle.push(thread);
  }

  private start(): Thread {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { argon2: require.resolve('@node-rs/argon2'), niceness: this.niceness },
      // argon2's 19 MiB per hash is native memory; the thread's own JavaScript is a few closures.
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    const thread: Thread = { worker };
    this.threads.add(thread);
    worker.on('message', (answer: Answer) => {
      const settle = thread.settle;
      this.release(thread);
      settle?.(answer);
    });
    const gone = (why: string): void => {
      if (!this.threads.delete(thread)) return;
      const at = this.idle.indexOf(thread);
      if (at >= 0) this.idle.splice(at, 1);
      thread.settle?.({ ok: false, message: why, threadGone: true });
      thread.settle = undefined;
      // A task waiting for a thread gets a fresh one in its place.
      const next = this.closed ? undefined : this.waiting.shift();
      if (next) next.resolve(this.start());
    };
    worker.on('error', () => gone('a password hashing thread failed'));
    worker.on('exit', () => gone('a password hashing thread stopped'));
    worker.unref();
    return thread;
  }
}
