import { execFileSync } from 'node:child_process';
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
});
