import { Box } from './checklist';
import { checkEvidence } from './checks';
import { GateContext } from './context';
import { Evidence, parseEvidence, parseMapping } from './evidence';
import { evaluate } from './evaluate';
import { jestRun, ONE_PASSED } from './spec-fixtures';

const box: Box = { id: '1.1.9', text: 'A box', task: 'TASK 1.1', subsection: 'Verification', index: 0 };
const scope = { box, boxes: [box], ticked: new Set<string>(), deferred: new Set<string>() };

describe('gate evidence kinds', () => {
  it('reads each JSON shape of the evidence file as its kind', () => {
    const cases: [unknown, Evidence][] = [
      [{ tagged: '1.3.5' }, { kind: 'tagged', id: '1.3.5', min: 1 }],
      [
        { tagged: '1.completion.2', min: 3 },
        { kind: 'tagged', id: '1.completion.2', min: 3 },
      ],
      [{ file: 'README.md' }, { kind: 'file', path: 'README.md' }],
      [{ file: 'docs/running.md' }, { kind: 'file', path: 'docs/running.md' }],
      [
        { file: 'README.md', contains: 'x\\|y' },
        { kind: 'file', path: 'README.md', contains: 'x\\|y' },
      ],
      [
        { scan: 'no-high', note: 'n' },
        { kind: 'scan', check: 'no-high', note: 'n' },
      ],
      [
        { scan: 'executed', requireEngine: 'zap' },
        { kind: 'scan', check: 'executed', requireEngine: 'zap' },
      ],
      [{ instance: 'log-clean' }, { kind: 'instance', check: 'log-clean' }],
      [{ jest: 'all-passed' }, { kind: 'jest', check: 'all-passed' }],
      [{ boxes: 'section-others' }, { kind: 'boxes', group: 'section-others' }],
    ];
    for (const [raw, expected] of cases) expect(parseEvidence(raw)).toEqual(expected);
  });

  it('reads anything else as invalid, saying why, and keeps its note', () => {
    const cases: [unknown, string][] = [
      [{ scan: 'all-good' }, 'unknown scan check all-good'],
      [{ scan: 'executed', requireEngine: 'burp' }, 'unknown scan engine burp'],
      [{ instance: 'fast' }, 'unknown instance check fast'],
      [{ boxes: 'some' }, 'unknown boxes group some'],
      [{ jest: 'most-passed' }, 'unknown jest check most-passed'],
      [
        { test: 'locks after' },
        'a test title is not evidence (locks after): tag the test [gate:<id>] and map {"tagged": "<id>"}',
      ],
      [{ tagged: 'Lockout enforced' }, 'bad box id Lockout enforced'],
      [{ tagged: '1.3.5', min: 0 }, 'bad min 0'],
      [
        { file: 'src/platform/database/prisma.service.ts', contains: 'max' },
        'file evidence names documents only (docs/, README.md, security/), not src/platform/database/prisma.service.ts: prove code with a tagged test',
      ],
      [{ file: 'docs/a', contains: '[' }, 'bad contains pattern ['],
      [{ url: 'x' }, 'unknown evidence {"url":"x"}'],
      ['test', 'unknown evidence "test"'],
    ];
    for (const [raw, reason] of cases) expect(parseEvidence(raw)).toEqual({ kind: 'invalid', reason });
    expect(parseEvidence({ scan: 'x', note: 'why' })).toEqual({
      kind: 'invalid',
      reason: 'unknown scan check x',
      note: 'why',
    });
  });

  it('fails an invalid item with its reason and note, so its box stays unticked', () => {
    const item = parseEvidence({ instance: 'fast', note: 'typo' });
    expect(checkEvidence(item, scope, {})).toEqual({ pass: false, text: 'unknown instance check fast (typo)' });
    const results = evaluate(
      [box],
      parseMapping({ '1.1.9': { box: 'A box', evidence: [{ file: 'README.md' }, { instance: 'fast' }] } }),
      {},
    );
    expect(results.get('1.1.9')).toEqual({
      ticked: false,
      deferred: false,
      evidence: [
        { pass: true, text: 'file README.md exists' },
        { pass: false, text: 'unknown instance check fast' },
      ],
    });
  });

  it('never ticks a box with no evidence mapped', () => {
    expect(evaluate([box], {}, {}).get('1.1.9')?.ticked).toBe(false);
    expect(evaluate([box], { '1.1.9': { box: 'A box', evidence: [] } }, {}).get('1.1.9')?.ticked).toBe(false);
  });

  it('fails instance and jest evidence for the part of the run that did not happen', () => {
    const ctx: GateContext = {
      instance: { migrated: true, ready: true, logClean: null, serverErrors: null, users: {} },
    };
    const check = (raw: unknown): boolean => checkEvidence(parseEvidence(raw), scope, ctx).pass;
    expect(check({ instance: 'migrated' })).toBe(true);
    expect(check({ instance: 'log-clean' })).toBe(false);
    expect(check({ jest: 'all-passed' })).toBe(false);
    expect(check({ scan: 'positive-control' })).toBe(false);
  });

  it('fails jest evidence on a partial run even when every test passed', () => {
    const jest = (partial: boolean): GateContext => jestRun([], partial, ONE_PASSED);
    const item = parseEvidence({ jest: 'all-passed' });
    expect(checkEvidence(item, scope, jest(false)).pass).toBe(true);
    expect(checkEvidence(item, scope, jest(true))).toEqual({
      pass: false,
      text: 'jest: 1/1 tests passed, 0 failed, 0 skipped, 1 suites (0 failed); PARTIAL run',
    });
  });
});
