import { Command } from 'ioredis';

interface TimedCommand {
  isResolved: boolean;
  reject(error: Error): void;
  _commandTimeoutTimer?: NodeJS.Timeout;
}

const SETTLED_AFTER_IO = Symbol.for('gateway.redis.commandTimeoutAfterIo');

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
 * Redis never answers still fails, one loop turn later. Applied once, to ioredis's Command, so
 * every client of the process (standalone, Sentinel, Cluster) gets it.
 */
export function settleCommandTimeoutsAfterIo(): void {
  const prototype = Command.prototype as unknown as Record<symbol, boolean> & {
    setTimeout(this: TimedCommand, ms: number): void;
  };
  if (prototype[SETTLED_AFTER_IO]) return;
  prototype[SETTLED_AFTER_IO] = true;
  prototype.setTimeout = function setTimeout(this: TimedCommand, ms: number): void {
    if (this._commandTimeoutTimer) return;
    this._commandTimeoutTimer = globalThis.setTimeout(() => {
      setImmediate(() => {
        if (!this.isResolved) this.reject(new Error('Command timed out'));
      });
    }, ms);
  };
}
