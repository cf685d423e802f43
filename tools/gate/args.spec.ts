import { join, resolve } from 'node:path';
import { ROOT } from '../harness';
import { DEFAULT_CHECKLIST, DEFAULT_EVIDENCE, DEFAULT_OFFLINE_ENGINE, GateOptions, parseGateArgs } from './args';

const optionsOf = (argv: string[], env: NodeJS.ProcessEnv = {}): GateOptions => {
  const command = parseGateArgs(argv, env);
  if (command.kind !== 'gate') throw new Error('not a gate command');
  return command.options;
};

describe('gate arguments', () => {
  it('defaults to the committed checklist and evidence and the offline engine beside the repository', () => {
    expect(optionsOf([])).toEqual({
      evidenceOnly: false,
      jestResults: [join(ROOT, 'reports/jest/main.json'), join(ROOT, 'reports/jest/topologies.json')],
      jestArgs: [],
      skipTests: false,
      skipScan: false,
      offlineEngine: DEFAULT_OFFLINE_ENGINE,
      checklist: DEFAULT_CHECKLIST,
      evidence: DEFAULT_EVIDENCE,
    });
    expect(DEFAULT_CHECKLIST).toMatch(/docs\/gate-1-checklist\.md$/);
    expect(DEFAULT_OFFLINE_ENGINE).toMatch(/\/shared\/tools\/prisma-offline\/schema-engine$/);
  });

  it('takes the inputs from GATE_* variables, and a flag wins over its variable', () => {
    const env = { GATE_CHECKLIST: '/x/list.md', GATE_EVIDENCE: '/x/evidence.json', GATE_OFFLINE_ENGINE: '/x/engine' };
    expect(optionsOf([], env)).toMatchObject({
      checklist: '/x/list.md',
      evidence: '/x/evidence.json',
      offlineEngine: '/x/engine',
    });
    expect(optionsOf(['--checklist', 'mine.md', '--offline-engine=/opt/engine'], env)).toMatchObject({
      checklist: resolve('mine.md'),
      evidence: '/x/evidence.json',
      offlineEngine: '/opt/engine',
    });
  });

  it('splits --jest-args into Jest arguments and reads the iteration switches', () => {
    expect(optionsOf(['--jest-args=--selectProjects x  test/auth', '--skip-scan'])).toMatchObject({
      jestArgs: ['--selectProjects', 'x', 'test/auth'],
      skipTests: false,
      skipScan: true,
    });
  });

  it('archives only when --archive names a folder', () => {
    expect(optionsOf([])).not.toHaveProperty('archive');
    expect(optionsOf(['--archive', 'evidence/gate-1']).archive).toBe(resolve('evidence/gate-1'));
    expect(() => parseGateArgs(['--archive'], {})).toThrow(/archive/);
  });

  it('refuses unknown flags and stray words, and answers --help', () => {
    expect(() => parseGateArgs(['--fast'], {})).toThrow(/--fast/);
    expect(() => parseGateArgs(['now'], {})).toThrow();
    expect(parseGateArgs(['-h'], {})).toEqual({ kind: 'help' });
  });

  it('reads --evidence-only and the Jest results it checks (a flag, else GATE_JEST_RESULTS)', () => {
    expect(optionsOf(['--evidence-only'])).toMatchObject({ evidenceOnly: true });
    expect(optionsOf(['--jest-results', 'a.json,b.json'], { GATE_JEST_RESULTS: 'c.json' }).jestResults).toEqual([
      resolve('a.json'),
      resolve('b.json'),
    ]);
    expect(optionsOf([], { GATE_JEST_RESULTS: 'c.json' }).jestResults).toEqual([resolve('c.json')]);
  });
});
