import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../harness';
import { DEFAULT_JEST_RESULTS } from './jest-run';

/** The checklist the gate ticks: the seed's Phase 1 task list, committed as is. */
export const DEFAULT_CHECKLIST = join(ROOT, 'docs/gate-1-checklist.md');
/** Box -> evidence. */
export const DEFAULT_EVIDENCE = join(ROOT, 'docs/gate-1-evidence.json');
/** The offline Prisma schema engine kept beside the repository on the project's machines. */
export const DEFAULT_OFFLINE_ENGINE = join(ROOT, '../shared/tools/prisma-offline/schema-engine');

export interface GateOptions {
  /** Check the evidence of finished Jest runs only (CI): no build, no tests, no scan. */
  evidenceOnly: boolean;
  /** The Jest JSON results --evidence-only reads. */
  jestResults: string[];
  /** Extra Jest arguments; any makes the run PARTIAL (it can never pass). */
  jestArgs: string[];
  skipTests: boolean;
  skipScan: boolean;
  /** Prisma schema engine used when PRISMA_SCHEMA_ENGINE_BINARY is unset and this file exists. */
  offlineEngine: string;
  checklist: string;
  evidence: string;
  /** Where to copy the signed-off report (`--archive DIR`); the reports stay in ignored reports/ otherwise. */
  archive?: string;
}

export type GateCommand = { kind: 'help' } | { kind: 'gate'; options: GateOptions };

export const GATE_USAGE = `usage: npm run gate [-- [--checklist FILE] [--evidence FILE] [--offline-engine PATH]
                         [--archive DIR] [--jest-args="<paths/patterns>"] [--skip-tests] [--skip-scan]]
       npm run gate -- --evidence-only [--jest-results FILE,FILE]
  --evidence-only         check the evidence of the Jest runs that already happened (CI, after npm test
                          and npm run test:topologies): no build, no tests, no scan; scan and instance
                          evidence is reported as deferred to the full gate. Exit 1 on any open box.
  --jest-results FILES    comma-separated Jest JSON results for --evidence-only (GATE_JEST_RESULTS;
                          default reports/jest/main.json,reports/jest/topologies.json)
  --checklist FILE        the checklist to tick (GATE_CHECKLIST; default docs/gate-1-checklist.md)
  --evidence FILE         box -> evidence mapping (GATE_EVIDENCE; default docs/gate-1-evidence.json)
  --offline-engine PATH   Prisma schema engine used when PRISMA_SCHEMA_ENGINE_BINARY is unset and PATH
                          exists (GATE_OFFLINE_ENGINE; default ../shared/tools/prisma-offline/schema-engine)
  --archive DIR           also copy the signed-off report and its evidence into DIR (for example
                          evidence/gate-1, the committed copy); without it the gate writes only reports/
  --jest-args, --skip-tests, --skip-scan   for iterating on the gate itself: such a run never passes`;

/** Flags win over GATE_* variables, which win over the defaults; paths resolve against the current folder. */
export function parseGateArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): GateCommand {
  const { values } = parseArgs({
    args: argv,
    options: {
      'jest-args': { type: 'string', default: '' },
      'skip-tests': { type: 'boolean', default: false },
      'skip-scan': { type: 'boolean', default: false },
      'evidence-only': { type: 'boolean', default: false },
      'jest-results': { type: 'string' },
      'offline-engine': { type: 'string' },
      checklist: { type: 'string' },
      evidence: { type: 'string' },
      archive: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { kind: 'help' };
  return {
    kind: 'gate',
    options: {
      evidenceOnly: values['evidence-only'],
      jestResults: (values['jest-results'] ?? env.GATE_JEST_RESULTS)
        ?.split(',')
        .filter(Boolean)
        .map((p) => resolve(p)) ?? [...DEFAULT_JEST_RESULTS],
      jestArgs: values['jest-args'].split(/\s+/).filter(Boolean),
      skipTests: values['skip-tests'],
      skipScan: values['skip-scan'],
      offlineEngine: resolve(values['offline-engine'] ?? (env.GATE_OFFLINE_ENGINE || DEFAULT_OFFLINE_ENGINE)),
      checklist: resolve(values.checklist ?? (env.GATE_CHECKLIST || DEFAULT_CHECKLIST)),
      evidence: resolve(values.evidence ?? (env.GATE_EVIDENCE || DEFAULT_EVIDENCE)),
      ...(values.archive !== undefined && { archive: resolve(values.archive) }),
    },
  };
}
