import { Command } from 'ioredis';

interface TimedCommand {
  isResolved: boolean;
  reject(error: Error): void;
  _commandTimeoutTimer?: NodeJS.Timeout;
}

const SETTLED_AFTER_IO = Symbol.for('gateway.redis.commandTimeoutAfterIo');

/**
 * Commands whose writes are held back (a corked socket, see write-coalescing.ts): their timeouts
 * are armed when the writes go out, not when the commands are issued.
 */
export class HeldTimeouts {
  private commands: TimedCommand[] = [];
  private ms = 0;

  hold(command: TimedCommand, ms: number): void {
    this.commands.push(command);
    this.ms = ms;
  }

  /** Arms the held commands' timeouts, counted from now (call it once their writes are out). */
  arm(): void {
    const { commands, ms } = this;
    this.commands = [];
    for (const command of commands) if (!command.isResolved) armTimeout(command, ms);
  }
}

/** Set while a command is being sent into a held write: its timeout joins this set. */
let holding: HeldTimeouts | undefined;

/**
 * Holds the timeouts of the commands sent from now on in `held` (until held.arm()); undefined
 * ends it. Call it around one send, in a try/finally.
 */
export function holdTimeoutsIn(held: HeldTimeouts | undefined): void {
  holding = held;
}

function armTimeout(command: TimedCommand, ms: number): void {
  command._commandTimeoutTimer = globalThis.setTimeout(() => {
    setImmediate(() => {
      if (!command.isResolved) command.reject(new Error('Command timed out'));
    });
  }, ms);
}

/**
 * ioredis fails a command whose reply has not come `commandTimeout` ms after it was written. Its
 * timer is an ordinary one, and Node runs due timers before it reads the sockets: when the event
 * loop stalls past the timeout (a long collection, a starved core) while Redis has already
 * answered, the timer fires first and the command fails although the answer is waiting in the
 * socket. With each command written when it is issued, a request burst followed by a stall failed
 * every command of the burst (a lockout check answering 503 instead of 423).
 *
 * Here the timer only schedules the verdict for the loop's check phase (setImmediate), which comes
 * after the poll phase has read whatever arrived: an answer that came in time wins, and a command
 * Redis never answers still fails, one loop turn later. A command whose write is held back until
 * the end of the loop's turn (holdTimeoutsIn) has its timer armed when the write goes out, so a
 * stall between its issue and its write does not count against it. Applied once, to ioredis's
 * Command, so every client of the process (standalone, Sentinel, Cluster) gets it.
 */
export function settleCommandTimeoutsAfterIo(): void {
  const prototype = Command.prototype as unknown as Record<symbol, boolean> & {
    setTimeout(this: TimedCommand, ms: number): void;
  };
  if (prototype[SETTLED_AFTER_IO]) return;
  prototype[SETTLED_AFTER_IO] = true;
  prototype.setTimeout = function setTimeout(this: TimedCommand, ms: number): void {
    if (this._commandTimeoutTimer) return;
    if (holding) holding.hold(this, ms);
    else armTimeout(this, ms);
  };
}
