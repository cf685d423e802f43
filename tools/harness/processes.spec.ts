import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants, isAlive, startProcess, stopProcessGroup, waitFor } from './processes';

/** A node child that spawns a grandchild (which ignores SIGTERM), prints both pids, then idles. */
const parentScript = `
  const { spawn } = require('node:child_process');
  const grandchild = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
  console.log('ready parent=' + process.pid + ' grandchild=' + grandchild.pid);
  setInterval(() => {}, 1000);
`;

const pidsFrom = (output: string): { parent: number; grandchild: number } => {
  const m = /parent=(\d+) grandchild=(\d+)/.exec(output)!;
  return { parent: Number(m[1]), grandchild: Number(m[2]) };
};

describe('processes', () => {
  it('waits for a readiness line, and stop() leaves no process of the group behind', async () => {
    const p = await startProcess({
      name: 'tree',
      command: process.execPath,
      args: ['-e', parentScript],
      ready: { output: /ready/ },
    });
    const { parent, grandchild } = pidsFrom(p.output());
    expect(parent).toBe(p.pid);
    expect(isAlive(grandchild)).toBe(true);
    expect(descendants(process.pid)).toEqual(expect.arrayContaining([parent, grandchild]));
    expect(descendants(parent)).toEqual([grandchild]);
    await p.stop({ graceMs: 2000 });
    // The grandchild ignored SIGTERM: the group is SIGKILLed once the leader is gone.
    await waitFor('grandchild gone', () => !isAlive(grandchild), { timeoutMs: 5000 });
    expect(p.running()).toBe(false);
  });

  it('fails with the output tail when the process exits before it is ready', async () => {
    await expect(
      startProcess({
        name: 'quitter',
        command: process.execPath,
        args: ['-e', "console.error('no config here'); process.exit(3)"],
        ready: { output: /never/ },
      }),
    ).rejects.toThrow(/quitter \(pid \d+\) exited early \(3\)[\s\S]*no config here/);
  });

  it('kills the group when readiness does not come in time', async () => {
    const error = await startProcess({
      name: 'sleeper',
      command: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)'],
      ready: { probe: () => Promise.resolve(false) },
      timeoutMs: 500,
    }).catch((e: Error) => e);
    expect(String(error)).toMatch(/sleeper \(pid \d+\) was not ready within 500 ms/);
    const pid = Number(/pid (\d+)/.exec(String(error))![1]);
    expect(isAlive(pid)).toBe(false);
  });

  it('with discardStdout, keeps and matches stderr only', async () => {
    const p = await startProcess({
      name: 'chatty',
      command: process.execPath,
      args: ['-e', "console.log('request log line'); console.error('ready on stderr'); setInterval(() => {}, 1000)"],
      ready: { output: /ready on stderr/ },
      discardStdout: true,
    });
    try {
      expect(p.output()).toContain('ready on stderr');
      expect(p.output()).not.toContain('request log line');
    } finally {
      await p.stop({ graceMs: 2000 });
    }
  });

  it('refuses to start a command that does not exist, naming it', async () => {
    await expect(startProcess({ name: 'ghost', command: 'no-such-binary-gw' })).rejects.toThrow(
      /ghost: could not start no-such-binary-gw/,
    );
  });

  it('stops a group known only by pid, escalating to SIGKILL', async () => {
    const p = await startProcess({
      name: 'stubborn',
      command: process.execPath,
      args: ['-e', "process.on('SIGINT', () => {}); console.log('ready'); setInterval(() => {}, 1000)"],
      ready: { output: /ready/ },
    });
    await stopProcessGroup(p.pid, 'SIGINT', 500);
    const exit = await p.exited;
    expect(exit.signal).toBe('SIGKILL');
    // Nothing is left in that process group.
    expect(() => execFileSync('pgrep', ['-g', String(p.pid)])).toThrow();
  });

  describe('with a log file', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gw-processes-spec-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('writes the whole output to the file and waits for a line written after what it held', async () => {
      const log = join(dir, 'out.log');
      writeFileSync(log, 'ready (an earlier run)\n');
      const p = await startProcess({
        name: 'logger',
        command: process.execPath,
        args: [
          '-e',
          "setTimeout(() => { console.log('ready now'); console.error('on stderr'); }, 200); setInterval(() => {}, 1000)",
        ],
        logFile: log,
        ready: { output: /ready now/ },
      });
      await waitFor('stderr line', () => /on stderr/.test(p.output()), { timeoutMs: 5000 });
      expect(p.output()).not.toMatch(/earlier run/);
      await p.stop({ graceMs: 2000 });
      expect(readFileSync(log, 'utf8')).toBe('ready (an earlier run)\nready now\non stderr\n');
    });

    it('refuses outliveParent without a log file', async () => {
      await expect(
        startProcess({ name: 'orphan', command: process.execPath, args: ['-e', ''], outliveParent: true }),
      ).rejects.toThrow(/orphan: outliveParent needs a logFile/);
    });

    it('leaves an outliveParent process running after its starter exits, until stopped by pid', async () => {
      // A starter process that starts a sleeper with outliveParent, prints its pid and exits.
      const starter = join(dir, 'starter.ts');
      writeFileSync(
        starter,
        `import { startProcess } from ${JSON.stringify(join(__dirname, 'processes'))};
        void startProcess({
          name: 'sleeper', command: process.execPath, args: ['-e', "console.log('up'); setInterval(() => {}, 1000)"],
          logFile: ${JSON.stringify(join(dir, 'sleeper.log'))}, outliveParent: true, ready: { output: /up/ },
        }).then((p) => console.log('pid=' + p.pid));`,
      );
      const printed = execFileSync(process.execPath, ['--import', 'tsx', starter], {
        cwd: join(__dirname, '../..'),
        encoding: 'utf8',
      });
      const pid = Number(/pid=(\d+)/.exec(printed)![1]);
      expect(isAlive(pid)).toBe(true);
      await stopProcessGroup(pid, 'SIGTERM', 5000);
      await waitFor('sleeper gone', () => !isAlive(pid), { timeoutMs: 5000 });
    });
  });
});
