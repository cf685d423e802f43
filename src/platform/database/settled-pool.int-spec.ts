import { Pool, type PoolClient } from 'pg';
import { SettledPool } from './settled-pool';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const TIMEOUT_MS = 200;

/** Holds the event loop for `ms`, as a long collection or a starved core would. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const outcome = (waiter: Promise<PoolClient>): Promise<string> =>
  waiter.then(
    (client) => {
      client.release();
      return 'a client';
    },
    (error: Error) => error.message,
  );

/**
 * The pool's one client runs a 50 ms query and is released when its answer is read; meanwhile a
 * second caller waits for a client, and the event loop stalls (from the check phase, as after a
 * request's I/O) well past the wait's timeout. The answer, and so the release, arrived in time.
 */
async function waitThroughStall(pool: Pool): Promise<{ busy: string; waiter: string }> {
  const warm = await pool.connect();
  warm.release();
  const busy = pool.query('SELECT pg_sleep(0.05)').then(
    () => 'answered',
    (error: Error) => error.message,
  );
  await new Promise((resolve) => setTimeout(resolve, 10));
  const waiter = outcome(pool.connect());
  await nextTurn();
  stall(TIMEOUT_MS + 300);
  return { busy: await busy, waiter: await waiter };
}

describe('the pool wait (connectionTimeoutMillis) after an event-loop stall, on a real PostgreSQL', () => {
  const options = { connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: TIMEOUT_MS };
  const pools: Pool[] = [];
  const build = (Kind: typeof Pool): Pool => {
    const pool = new Kind(options);
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
  });

  // The race this pool exists for: if pg-pool ever settles its wait after I/O itself, this fails
  // and SettledPool can go.
  it("fails the waiter with pg-pool's own timer although the client was released in time", async () => {
    expect(await waitThroughStall(build(Pool))).toEqual({
      busy: 'answered',
      waiter: 'timeout exceeded when trying to connect',
    });
  });

  it('hands the waiter the client that was released in time', async () => {
    expect(await waitThroughStall(build(SettledPool))).toEqual({ busy: 'answered', waiter: 'a client' });
  });

  it('serves a waiting pool.query (callback-style connect) the same way', async () => {
    const pool = build(SettledPool);
    const warm = await pool.connect();
    warm.release();
    const first = pool.query('SELECT pg_sleep(0.05)');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = pool.query<{ one: number }>('SELECT 1 AS one');
    await nextTurn();
    stall(TIMEOUT_MS + 300);
    await first;
    expect((await second).rows).toEqual([{ one: 1 }]);
  });

  it("still fails a waiter no client frees, with pg-pool's message, and does not keep it queued", async () => {
    const pool = build(SettledPool);
    const held = await pool.connect();
    try {
      await expect(pool.connect()).rejects.toThrow('timeout exceeded when trying to connect');
      expect(pool.waitingCount).toBe(0);
    } finally {
      held.release();
    }
    // The client released after the verdict is idle in the pool, not given to the failed waiter.
    expect({ total: pool.totalCount, idle: pool.idleCount }).toEqual({ total: 1, idle: 1 });
    const again = await pool.connect();
    again.release();
  });
});
