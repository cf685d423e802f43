import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { sleep } from './time';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** When a started process counts as ready: a line in its output, or a probe that answers true. */
export type Readiness = { output: RegExp } | { probe: () => Promise<boolean> };

export interface StartOptions {
  /** A short name for messages ("redis-server", "gateway"). */
  name: string;
  command: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user (only when the caller is root, e.g. PostgreSQL, which refuses root). */
  uid?: number;
  gid?: number;
  ready?: Readiness;
  /** Bound for readiness; the process group is killed when it passes. */
  timeoutMs?: number;
  /** Every chunk of stdout/stderr, as it arrives (e.g. to show the gateway's log). Not with `logFile`. */
  onOutput?: (chunk: string) => void;
  /**
   * Send stdout and stderr to this file (appended, created with mode 0600) instead of pipes: the
   * whole output stays on disk (a scanned gateway's log, a scanner's full report text) and the
   * process never writes into a pipe that this one has stopped reading. `output()` reads its tail.
   */
  logFile?: string;
  /**
   * Leave the process running when this Node process exits (a throwaway instance that another
   * command stops by its pid with `stopProcessGroup`). Needs `logFile`: a pipe would break with
   * its reader. Readiness failures still kill the group.
   */
  outliveParent?: boolean;
  /**
   * Send stdout to /dev/null instead of reading it (only stderr is kept and matched): for a server
   * logging a line per request under load, where reading that stream would cost the caller CPU.
   */
  discardStdout?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The last 64 KiB of combined stdout and stderr (stderr only with `discardStdout`). */
  output(): string;
  running(): boolean;
  readonly exited: Promise<ExitInfo>;
  /**
   * Signals the whole process group (the process and everything it spawned), waits up to
   * `graceMs` for the leader to exit, then SIGKILLs whatever is left of the group.
   */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ExitInfo>;
}

const OUTPUT_LIMIT = 64 * 1024;

/** Process groups started here and still alive: killed synchronously if this process exits first. */
const live = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of live) signalGroup(pgid, 'SIGKILL');
  });
}

/** Sends `signal` to process group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `check` until it answers true; throws after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok: boolean;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() >= deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/**
 * Starts `command` in its own process group (so stopping it stops everything it spawned) and
 * resolves once it is ready. If it exits or times out first, the group is killed and this throws
 * with the tail of its output.
 */
export async function startProcess(options: StartOptions): Promise<ManagedProcess> {
  installExitHook();
  const { logFile } = options;
  if (options.outliveParent && !logFile) throw new Error(`${options.name}: outliveParent needs a logFile`);
  const logFd = logFile ? openSync(logFile, 'a', 0o600) : undefined;
  // What the file held before (an appended log): not this process's output.
  const logStart = logFd === undefined ? 0 : fstatSync(logFd).size;
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args ?? [], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      detached: true,
      stdio:
        logFd === undefined ? ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'] : ['ignore', logFd, logFd],
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (logFd !== undefined) closeSync(logFd);
  }
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  let piped = '';
  const output = (): string => (logFile ? readTail(logFile, logStart) : piped);
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    piped = (piped + text).slice(-OUTPUT_LIMIT);
    options.onOutput?.(text);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  try {
    await spawned;
  } catch (error) {
    throw new Error(`${options.name}: could not start ${options.command}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const pid = child.pid!;
  if (options.outliveParent) child.unref();
  else live.add(pid);
  void exited.then(() => {
    // The leader is gone; anything left in its group is killed so nothing outlives it.
    signalGroup(pid, 'SIGKILL');
    live.delete(pid);
  });

  const handle: ManagedProcess = {
    name: options.name,
    pid,
    output,
    running: () => exitInfo === undefined,
    exited,
    stop: async ({ signal = 'SIGTERM', graceMs = 10_000 } = {}) => {
      if (exitInfo) return exitInfo;
      signalGroup(pid, signal);
      // A cleared timer: a pending one would keep a Jest worker (or any caller) alive after the exit.
      const escalate = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(escalate);
      }
    },
  };

  const ready = options.ready;
  if (!ready) return handle;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const fail = async (reason: string): Promise<never> => {
    await handle.stop({ signal: 'SIGKILL', graceMs: 1000 });
    throw new Error(`${options.name} (pid ${pid}) ${reason}:\n${output().slice(-4000)}`);
  };
  try {
    await waitFor(
      options.name,
      async () => {
        if (exitInfo) return true;
        return 'output' in ready ? ready.output.test(output()) : ready.probe();
      },
      { timeoutMs },
    );
  } catch {
    return fail(`was not ready within ${timeoutMs} ms`);
  }
  if (exitInfo) return fail(`exited early (${exitInfo.code ?? exitInfo.signal})`);
  return handle;
}

/** The last OUTPUT_LIMIT bytes of a log file written after byte `from` ('' when it is gone). */
function readTail(file: string, from: number): string {
  try {
    const content = readFileSync(file);
    return content.subarray(Math.max(from, content.length - OUTPUT_LIMIT)).toString('utf8');
  } catch {
    return '';
  }
}

/** Stops several processes, last started first (dependents before what they depend on). */
export async function stopAll(processes: (ManagedProcess | undefined)[], graceMs?: number): Promise<void> {
  for (const p of [...processes].reverse()) if (p) await p.stop({ graceMs });
}

/**
 * Stops a process group known only by its leader's pid (e.g. one started by Jest's global
 * setup and stopped by its teardown): `signal`, then SIGKILL after `graceMs`.
 */
export async function stopProcessGroup(pgid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, signal)) return;
  try {
    await waitFor(`process group ${pgid} to exit`, () => !isAlive(pgid), { timeoutMs: graceMs });
  } catch {
    signalGroup(pgid, 'SIGKILL');
  }
}

/** Every process descended from `pid` (children, grandchildren, ...), read from /proc (Linux). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const [child, parent] of parentOf) {
      if (parent === current) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}
