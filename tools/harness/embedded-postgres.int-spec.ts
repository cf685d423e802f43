import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres, embeddedBinaries, reachableBinaries, reachableBy, removeCluster } from './embedded-postgres';
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

/**
 * As root, a checkout in a 0700 folder (a root home directory, `mktemp -d`): the server runs as
 * `postgres`, which cannot reach the package's binaries nor a cluster folder there. The harness
 * runs a copy of the binaries and keeps the cluster outside, never loosening the folder.
 */
const asRoot = process.getuid?.() === 0 ? it : it.skip;
describe('EmbeddedPostgres from a private (0700) folder as root', () => {
  const password = randomToken();
  const privateDir = mkdtempSync(join(tmpdir(), 'gw-embedded-private-'));
  let pg: EmbeddedPostgres | undefined;

  afterAll(async () => {
    await pg?.stop();
    removeCluster(join(privateDir, 'pg'));
    rmSync(privateDir, { recursive: true, force: true });
  });

  asRoot(
    'starts from a copy of the binaries with the cluster outside the folder, which stays 0700',
    async () => {
      // A package folder `postgres` cannot reach: the binaries as a 0700 checkout would hold them.
      const checkout = join(privateDir, 'checkout');
      cpSync(embeddedBinaries().native, join(checkout, 'native'), { recursive: true, verbatimSymlinks: true });
      const runAs = {
        uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
        gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
      };
      expect(reachableBy(join(checkout, 'native/bin/postgres'), runAs)).toBe(false);
      const copy = reachableBinaries(join(checkout, 'native'), runAs);
      expect(copy).not.toContain(privateDir);
      expect(reachableBy(join(copy, 'bin/postgres'), runAs)).toBe(true);
      // Asked twice: the same copy, made once.
      expect(reachableBinaries(join(checkout, 'native'), runAs)).toBe(copy);

      const baseDir = join(privateDir, 'pg');
      pg = await EmbeddedPostgres.start({ baseDir, port: await freePort(), password, throwaway: true });
      expect(pg.dataDir).not.toContain(privateDir);
      expect(lstatSync(join(baseDir, 'data')).isSymbolicLink()).toBe(true);
      await withClient(pg.url(), (c) => c.query('SELECT 1'));
      expect(statSync(privateDir).mode & 0o777).toBe(0o700);
      const dataDir = pg.dataDir;
      await pg.stop();
      pg = undefined;
      removeCluster(baseDir);
      expect(existsSync(dataDir)).toBe(false);
      rmSync(copy, { recursive: true, force: true });
    },
    180_000,
  );
});
