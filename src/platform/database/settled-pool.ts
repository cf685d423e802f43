import { Pool, type PoolClient } from 'pg';

type ConnectCallback = (
  err: Error | undefined,
  client: PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/** pg-pool's waiter (its PendingItem): `timedOut` makes the pool hand a late client straight back. */
interface Waiter {
  callback: ConnectCallback;
  timedOut?: boolean;
}

/** The parts of pg-pool (node_modules/pg-pool/index.js) the wait below relies on. */
interface PoolInternals {
  _idle: unknown[];
  _isFull(): boolean;
  _pendingQueue: Waiter[];
}

/** pg-pool's own message, which the problem mapping turns into a 503 (database-errors.ts). */
const TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';

/**
 * A pg Pool whose wait for a busy pool's client (`connectionTimeoutMillis`) gives its verdict after
 * pending I/O. pg-pool fails a waiter from an ordinary timer, and Node runs due timers before it
 * reads the sockets: when the event loop stalls past the timeout (a long collection, a starved
 * core) while a query's answer, and with it the release of its client, is already waiting in the
 * socket, the timer fires first and the waiter fails although a client was free in time.
 *
 * Here the waiter's timer only schedules the verdict for the loop's check phase (setImmediate),
 * after the poll phase has read whatever arrived: a client released in time is handed over, and a
 * waiter no client frees still fails, one loop turn later, with pg-pool's message. Connecting a new
 * client keeps pg-pool's own timeout.
 */
export class SettledPool extends Pool {
  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const internals = this as unknown as PoolInternals;
    const ms = this.options.connectionTimeoutMillis;
    const waits = !this.ending && (internals._isFull() || internals._idle.length > 0);
    if (!ms || !waits) return callback ? super.connect(callback) : super.connect();

    let answer!: ConnectCallback;
    let result: Promise<PoolClient> | undefined;
    if (callback) answer = callback;
    else
      result = new Promise<PoolClient>((resolve, reject) => {
        answer = (err, client) => (err || !client ? reject(err ?? new Error(TIMEOUT_MESSAGE)) : resolve(client));
      });

    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const onClient: ConnectCallback = (err, client, done) => {
      clearTimeout(timer);
      if (settled) {
        if (client) done();
        return;
      }
      settled = true;
      answer(err, client, done);
    };
    // Queued without pg-pool's timer (it reads the option only here, synchronously).
    this.options.connectionTimeoutMillis = 0;
    try {
      super.connect(onClient);
    } finally {
      this.options.connectionTimeoutMillis = ms;
    }
    const waiter = internals._pendingQueue.find((item) => item.callback === onClient);
    if (!settled && waiter) {
      timer = setTimeout(() => {
        setImmediate(() => {
          if (settled) return;
          settled = true;
          waiter.timedOut = true;
          const at = internals._pendingQueue.indexOf(waiter);
          if (at >= 0) internals._pendingQueue.splice(at, 1);
          answer(new Error(TIMEOUT_MESSAGE), undefined, () => undefined);
        });
      }, ms);
      timer.unref();
    }
    return result;
  }
}
