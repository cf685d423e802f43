import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from './embedded-postgres';
import { freePort } from './ports';
import { createDatabase, withClient } from './postgres';
import { isAlive } from './processes';
import { randomToken } from './secrets';

/** Real PostgreSQL binaries from the embedded-postgres package: initdb, start, stop, restart. */
describe('EmbeddedPostgres', () => {
  const baseDir = mkdtempSync(join(tmpdir(), 'gw-embedded-spec-'));
  const password = randomToken();
  let pg: EmbeddedPostgres | undefined;

  afterAll(async () => {
    await pg?.stop();
    rmSync(baseDir, { recursive: true, force: true });
  });

  it('keeps its data across a restart, refuses another password, and leaves no process behind', async () => {
    pg = await EmbeddedPostgres.start({ baseDir, port: await freePort(), password, throwaway: true });
    const url = await createDatabase(pg.url(), 'kept');
    await withClient(url, async (c) => {
      await c.query('CREATE TABLE t (v text)');
      await c.query("INSERT INTO t VALUES ('still here')");
    });
    const firstPid = pg.pid;
    await pg.stop();
    expect(isAlive(firstPid)).toBe(false);

    // Same folder, new port: the cluster is reused (no initdb), with its data and its password.
    pg = await EmbeddedPostgres.start({ baseDir, port: await freePort(), password, throwaway: true });
    const rows = await withClient(pg.url('kept'), (c) => c.query<{ v: string }>('SELECT v FROM t'));
    expect(rows.rows).toEqual([{ v: 'still here' }]);
    await pg.stop();
    pg = undefined;

    const wrong = await EmbeddedPostgres.start({ baseDir, port: await freePort(), password: randomToken() }).catch(
      (e: Error) => e,
    );
    expect(String(wrong)).toMatch(/does not take the password it was given/);
    // The refused server was stopped: nothing runs on this data folder.
    expect(() => execFileSync('pgrep', ['-f', join(baseDir, 'data')])).toThrow();
  }, 180_000);
});
