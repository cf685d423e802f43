import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, timestamp } from '../harness';
import { createInstanceState, launchInstance, stopInstance } from '../instance/instance';
import { InstanceOptions } from '../instance/options';
import { InstanceState } from '../instance/state';
import { budgetFromEnv, DEFAULT_BUDGET, parseScanArgs } from '../scan/args';
import { runPositiveControl } from '../scan/positive-control';
import { printScanResult } from '../scan/report';
import { runScan } from '../scan/scan';
import { InstanceRun, PositiveControlRun, ScanRun } from './context';
import { firstLine } from './signoff';
import { checkInstanceLog } from './log-check';

type Log = (line: string) => void;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The DAST scan of a ready instance, configured as `npm run security:scan` would be (SCAN_* variables apply). */
async function scanInstance(state: InstanceState, log: Log): Promise<ScanRun> {
  const outDir = join(ROOT, 'reports/security', timestamp());
  log(`scanning ${state.url}`);
  try {
    const command = parseScanArgs(['--out', outDir, '--server-log', join(state.dir, 'gateway.log')], {
      ...process.env,
      SCAN_TARGET_URL: state.url,
      SCAN_BEARER_TOKEN: state.users?.user?.accessToken ?? '',
      SCAN_ADMIN_TOKEN: state.users?.admin?.accessToken ?? '',
      SCAN_REFRESH_TOKEN: state.users?.user?.refreshToken ?? '',
    });
    if (command.kind !== 'scan') throw new Error('unexpected scan command');
    const outcome = await runScan(command.options, budgetFromEnv(process.env), (line) => log(`scan: ${line}`));
    if (outcome.summary) printScanResult(outcome.summary, outcome.outDir, process.stderr);
    else log(`scan: ${outcome.message}`);
    return { exitCode: outcome.exitCode, outDir: outcome.outDir, summary: outcome.summary ?? null };
  } catch (error) {
    log(`scan failed: ${message(error)}`);
    return { exitCode: 3, outDir, summary: null };
  }
}

/**
 * A fresh instance on a fresh database, in this process (nothing outlives the gate), the DAST scan
 * against it, the check of its whole log, then the scan's positive control.
 */
export async function runInstanceAndScan(
  options: InstanceOptions,
  log: Log,
): Promise<{ instance: InstanceRun; scan?: ScanRun; positiveControl: PositiveControlRun }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'gw-gate-'));
  log('starting a fresh instance on a fresh database');
  const instanceLog: Log = (line) => log(`instance: ${line}`);
  let state: InstanceState | undefined;
  let launched = false;
  let scan: ScanRun | undefined;
  const instance: InstanceRun = { migrated: false, ready: false, logClean: null, serverErrors: null, users: {} };
  try {
    state = createInstanceState(options, stateDir);
    await launchInstance(state, options, instanceLog);
    launched = true;
  } catch (error) {
    log(`the instance did not start: ${message(error)}`);
  }
  try {
    if (state) {
      instance.migrated = state.migrated;
      instance.ready = launched && state.ready;
      instance.users = Object.fromEntries(
        Object.entries(state.users ?? {}).map(([role, u]) => [role, u.created + (u.accessToken ? ', logged in' : '')]),
      );
    }
    if (state && instance.ready) {
      scan = await scanInstance(state, log);
      // The scanned instance's own log: no secret, password or token may appear, whatever the scanners sent.
      Object.assign(instance, checkInstanceLog(readFileSync(join(stateDir, 'gateway.log'), 'utf8'), state));
      instance.redisVersion = firstLine('redis-server', ['--version']);
    }
  } finally {
    if (state)
      await stopInstance(stateDir, { log: instanceLog }).catch((error) => log(`stop failed: ${message(error)}`));
    rmSync(stateDir, { recursive: true, force: true });
  }

  // The same scan against a planted SQL injection must fail: proof the scan can find what it looks for.
  log('positive control: scanning a deliberately vulnerable stand-in');
  let positiveControl: PositiveControlRun;
  try {
    positiveControl = await runPositiveControl({
      adminDatabaseUrl: options.adminDatabaseUrl,
      budget: budgetFromEnv(process.env, { ...DEFAULT_BUDGET, sqlmapTarget: 90 }),
      log: (line) => log(`positive control: ${line}`),
    });
  } catch (error) {
    positiveControl = { passed: false, text: `positive control could not run: ${message(error)}` };
  }
  log(positiveControl.text);
  return { instance, scan, positiveControl };
}
