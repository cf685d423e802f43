import { ScanSummary } from '../scan/report';

/** One test of Jest's JSON report. */
export interface JestTest {
  /** Jest's full name: describe blocks and test title. */
  name: string;
  status: string;
  file: string;
}

export interface JestTotals {
  suites: number;
  failedSuites: number;
  suitesWithRuntimeErrors: number;
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
}

export interface JestRun {
  /** Every Jest run expected wrote its JSON report. */
  ran: boolean;
  /** The reports read (relative paths), and which expected one was missing. */
  sources?: string[];
  missing?: string;
  exitCode: number | null;
  seconds: number;
  /** Run with --jest-args: not every suite ran. */
  partial: boolean;
  totals: JestTotals | null;
  tests: JestTest[];
}

export interface ScanRun {
  exitCode: number;
  outDir: string;
  /** Null when the scan could not write its summary. */
  summary: ScanSummary | null;
}

export interface InstanceRun {
  migrated: boolean;
  ready: boolean;
  /** Null until the instance's log was checked (after a scan). */
  logClean: boolean | null;
  serverErrors: number | null;
  /** role -> user:create's outcome (and ', logged in'). */
  users: Record<string, string>;
  logLines?: number;
  leakedCount?: number;
  redisVersion?: string | null;
}

export interface PositiveControlRun {
  passed: boolean;
  text: string;
}

/** The scan report copied into reports/gate/, with the hash of what was copied. */
export interface Archive {
  files: string[];
  sha256: string;
}

/**
 * What this gate run collected; a part that did not run is absent, and evidence needing it fails.
 * `evidence-only` (CI): tests and documents are checked, and scan and instance evidence is
 * reported as deferred to the full gate, never as passed.
 */
export interface GateContext {
  mode?: 'full' | 'evidence-only';
  jest?: JestRun;
  scan?: ScanRun;
  instance?: InstanceRun;
  positiveControl?: PositiveControlRun;
  /**
   * Scan reports that existed before this run's scan (relative paths; see earlierScanReports):
   * what this run's scan re-runs.
   */
  earlierScans?: string[];
  archive?: Archive | null;
}
