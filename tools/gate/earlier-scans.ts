import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../harness';

/** The scan summary of the committed, signed-off gate run (`npm run gate -- --archive evidence/gate-1`). */
export const COMMITTED_SCAN = 'evidence/gate-1/gate/dast-summary.json';
/** The scan summary the last gate run on this checkout archived (git-ignored). */
export const LAST_GATE_SCAN = 'reports/gate/dast-summary.json';

/**
 * The scan reports that exist before this gate run scans, relative to `root`: every earlier
 * `npm run security:scan` or gate scan in reports/security/ (positive controls excepted: they scan
 * a planted flaw, not the gateway), the last gate run's archive, and the committed sign-off's scan.
 * The committed one is in every checkout, so a fresh clone's first gate run re-runs that scan.
 * Box 1.8.5, "Scan re-run clean": this run's scan is a re-run of one of these, and it is clean.
 */
export function earlierScanReports(root = ROOT): string[] {
  const security = join(root, 'reports/security');
  const runs = existsSync(security)
    ? readdirSync(security)
        .filter((dir) => !dir.endsWith('-positive-control'))
        .sort()
        .map((dir) => join(security, dir, 'summary.json'))
    : [];
  return [...runs, join(root, LAST_GATE_SCAN), join(root, COMMITTED_SCAN)]
    .filter((file) => existsSync(file))
    .map((file) => relative(root, file));
}
