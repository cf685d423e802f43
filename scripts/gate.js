#!/usr/bin/env node
'use strict';
/**
 * Gate 1: one command that produces the evidence and the signed checklist.
 *
 *   node scripts/gate.js [--jest-args="<paths/patterns>"] [--skip-tests] [--skip-scan] [--offline-engine PATH]
 *
 * 1. builds (`npm run build`), 2. runs Jest with --json (reports/gate/jest.json), 3. starts a fresh
 * instance on a fresh database (scripts/instance.js), 4. runs the DAST scan against it
 * (scripts/security-scan.js), 5. checks that instance's whole log for secrets, passwords and tokens,
 * 6. evaluates docs/gate-1-evidence.json against docs/gate-1-checklist.md and writes
 * reports/gate-1.md (+ reports/gate/evidence.json). A box is ticked only when every evidence item
 * mapped to it passed. Exit 0 only when every box is ticked.
 *
 * --jest-args/--skip-tests/--skip-scan exist for iterating on the gate itself; boxes whose evidence
 * did not run stay unticked, so such a run can never pass.
 */
const { spawn, spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'reports/gate');
const rel = (p) => path.relative(ROOT, p);
const log = (msg) => process.stderr.write(`gate: ${msg}\n`);

/**
 * --jest-args="<args>"   extra Jest arguments (with "=" when they start with a dash)
 * --skip-tests, --skip-scan
 * --offline-engine PATH  Prisma schema engine to use when PRISMA_SCHEMA_ENGINE_BINARY is unset and
 *                        PATH exists (default: ../shared/tools/prisma-offline/schema-engine, the
 *                        offline stand-in beside this repository on the project's machines)
 */
const DEFAULT_OFFLINE_ENGINE = path.join(ROOT, '../shared/tools/prisma-offline/schema-engine');

function parseArgs(argv) {
  const { values } = require('node:util').parseArgs({
    args: argv,
    options: {
      'jest-args': { type: 'string', default: '' },
      'skip-tests': { type: 'boolean', default: false },
      'skip-scan': { type: 'boolean', default: false },
      'offline-engine': { type: 'string', default: DEFAULT_OFFLINE_ENGINE },
    },
    strict: true,
  });
  return {
    jestArgs: values['jest-args'].split(/\s+/).filter(Boolean),
    skipTests: values['skip-tests'],
    skipScan: values['skip-scan'],
    offlineEngine: path.resolve(values['offline-engine']),
  };
}

/** Runs a command, streaming its output through, and resolves with its exit code and captured output. */
function run(command, args, { env, capture = false, quiet = false } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: ROOT, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c) => {
      if (capture) stdout += c.toString('utf8');
      if (!capture && !quiet) process.stderr.write(c);
    });
    child.stderr.on('data', (c) => {
      if (!quiet) process.stderr.write(c);
    });
    child.on('error', (error) => resolve({ code: null, stdout, seconds: 0, error }));
    child.on('close', (code) => resolve({ code, stdout, seconds: (Date.now() - started) / 1000 }));
  });
}

function firstLine(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 15000 });
  if (r.error || r.status !== 0) return null;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

async function postgresVersion() {
  const { Client } = require('pg');
  const client = new Client({
    connectionString:
      process.env.SCAN_ADMIN_DATABASE_URL ??
      process.env.DATABASE_URL ??
      'postgresql://postgres@127.0.0.1:5432/postgres',
  });
  try {
    await client.connect();
    return (await client.query('SHOW server_version')).rows[0].server_version;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function gitCommit() {
  const head = firstLine('git', ['-C', ROOT, 'rev-parse', 'HEAD']);
  // The gate's own outputs (reports/) do not count as changes to what was evaluated.
  const dirty = spawnSync(
    'git',
    ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', '.', ':!reports'],
    {
      encoding: 'utf8',
    },
  );
  return head ? `${head}${dirty.stdout.trim() ? ' (with uncommitted changes)' : ''}` : 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Evidence collection

async function runJest(opts) {
  const output = path.join(OUT, 'jest.json');
  fs.rmSync(output, { force: true });
  const args = ['--ci', '--json', `--outputFile=${output}`, ...opts.jestArgs];
  log(`running jest ${opts.jestArgs.join(' ') || '(every suite)'}`);
  const result = await run(path.join(ROOT, 'node_modules/.bin/jest'), args);
  let report = null;
  try {
    report = JSON.parse(fs.readFileSync(output, 'utf8'));
  } catch {
    log('jest wrote no JSON report');
  }
  const tests = [];
  for (const suite of report?.testResults ?? []) {
    for (const a of suite.assertionResults ?? []) {
      tests.push({ name: a.fullName, status: a.status, file: path.relative(ROOT, suite.name) });
    }
  }
  return {
    ran: Boolean(report),
    exitCode: result.code,
    seconds: result.seconds,
    partial: opts.jestArgs.length > 0,
    totals: report
      ? {
          suites: report.numTotalTestSuites,
          failedSuites: report.numFailedTestSuites,
          suitesWithRuntimeErrors: report.numRuntimeErrorTestSuites,
          tests: report.numTotalTests,
          passed: report.numPassedTests,
          failed: report.numFailedTests,
          skipped: report.numPendingTests + (report.numTodoTests ?? 0),
        }
      : null,
    tests,
  };
}

function secretsIn(state) {
  const values = new Set();
  for (const value of Object.values(state.secrets ?? {})) {
    values.add(value);
    try {
      const url = new URL(value);
      if (url.password) values.add(decodeURIComponent(url.password));
    } catch {
      // not a URL
    }
  }
  for (const user of Object.values(state.users ?? {})) {
    for (const key of ['password', 'accessToken', 'refreshToken']) if (user[key]) values.add(user[key]);
  }
  return [...values].filter((v) => typeof v === 'string' && v.length >= 8);
}

async function runInstanceAndScan() {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-gate-'));
  const instance = { migrated: false, ready: false, logClean: null, serverErrors: null, dir: stateDir };
  log('starting a fresh instance on a fresh database');
  const started = await run(process.execPath, [path.join(__dirname, 'instance.js'), 'start', '--state-dir', stateDir], {
    capture: true,
  });
  const vars = Object.fromEntries(
    started.stdout
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  let state = {};
  try {
    state = JSON.parse(fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8'));
  } catch {
    // start failed before writing state
  }
  instance.migrated = Boolean(state.url); // the URL is recorded only after migrate deploy succeeded
  instance.ready = started.code === 0 && Boolean(vars.SCAN_TARGET_URL);
  instance.users = Object.fromEntries(
    Object.entries(state.users ?? {}).map(([role, u]) => [role, u.created + (u.accessToken ? ', logged in' : '')]),
  );
  let scan = null;
  if (instance.ready) {
    const id = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const outDir = path.join(ROOT, 'reports/security', id);
    log(`scanning ${vars.SCAN_TARGET_URL}`);
    const scanArgs = ['--out', outDir, '--server-log', path.join(stateDir, 'gateway.log')];
    const result = await run(process.execPath, [path.join(__dirname, 'security-scan.js'), ...scanArgs], {
      env: {
        ...process.env,
        SCAN_TARGET_URL: vars.SCAN_TARGET_URL,
        SCAN_BEARER_TOKEN: vars.SCAN_BEARER_TOKEN,
        SCAN_ADMIN_TOKEN: vars.SCAN_ADMIN_TOKEN,
        SCAN_REFRESH_TOKEN: vars.SCAN_REFRESH_TOKEN,
      },
    });
    let summary = null;
    try {
      summary = JSON.parse(fs.readFileSync(path.join(outDir, 'summary.json'), 'utf8'));
    } catch {
      // the scan could not write a summary
    }
    scan = { exitCode: result.code, outDir, summary };

    // The scanned instance's own log: no secret, password or token may appear, whatever the scanners sent.
    const gatewayLog = fs.readFileSync(path.join(stateDir, 'gateway.log'), 'utf8');
    const leaked = secretsIn(state).filter((v) => gatewayLog.includes(v) || gatewayLog.includes(encodeURIComponent(v)));
    instance.logClean = leaked.length === 0;
    instance.logLines = gatewayLog.split('\n').filter(Boolean).length;
    instance.leakedCount = leaked.length;
    instance.serverErrors = gatewayLog.split('\n').filter((line) => /"statusCode":5\d\d/.test(line)).length;
    instance.redisVersion = firstLine('redis-server', ['--version']);
  }
  await run(process.execPath, [path.join(__dirname, 'instance.js'), 'stop', stateDir], { quiet: true });
  fs.rmSync(stateDir, { recursive: true, force: true });

  // The same scan against a planted SQL injection must fail: proof the scan can find what it looks for.
  log('positive control: scanning a deliberately vulnerable stand-in');
  const control = await run(process.execPath, [path.join(__dirname, 'dast-positive-control.js')], { capture: true });
  const verdict = /positive control (PASSED|FAILED)[^\n]*/.exec(control.stdout);
  const positiveControl = { passed: control.code === 0, text: verdict ? verdict[0] : `exit ${control.code}` };
  return { instance, scan, positiveControl };
}

// ---------------------------------------------------------------------------------------------
// Checklist evaluation

function parseChecklist(text) {
  const boxes = [];
  let task = null;
  let subsection = null;
  text.split('\n').forEach((line, index) => {
    const h1 = /^#{1,2} (TASK [\d.]+.*|PHASE .*)$/.exec(line);
    if (h1) {
      task = h1[1].trim();
      subsection = null;
    }
    const h2 = /^## (.*)$/.exec(line);
    if (h2) subsection = h2[1].trim();
    const box = /^- \[ \] (.*)$/.exec(line);
    if (box) boxes.push({ text: box[1].trim(), task, subsection, index });
  });
  return boxes;
}

function globFiles(pattern) {
  const parts = pattern.split('/');
  let current = [ROOT];
  for (const part of parts) {
    const next = [];
    for (const dir of current) {
      if (!part.includes('*')) {
        const p = path.join(dir, part);
        if (fs.existsSync(p)) next.push(p);
        continue;
      }
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
      const re = new RegExp(
        `^${part
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*')}$`,
      );
      for (const name of fs.readdirSync(dir)) if (re.test(name)) next.push(path.join(dir, name));
    }
    current = next;
  }
  return current;
}

const fmtSeverities = (c) => `CRITICAL ${c.CRITICAL}, HIGH ${c.HIGH}, MEDIUM ${c.MEDIUM}, LOW ${c.LOW}, INFO ${c.INFO}`;

function checkTest(item, ctx) {
  if (!ctx.jest?.ran) return { pass: false, text: `test /${item.test}/: the test suites did not run` };
  const re = new RegExp(item.test, 'i');
  const matches = ctx.jest.tests.filter((t) => re.test(t.name));
  if (matches.length === 0) return { pass: false, text: `test /${item.test}/: no test with a matching name ran` };
  const failed = matches.filter((t) => t.status !== 'passed');
  const shown = (failed.length ? failed : matches).slice(0, 3).map((t) => `"${t.name}" ${t.status}`);
  const more = matches.length > 3 ? ` (+${matches.length - 3} more)` : '';
  return {
    pass: failed.length === 0,
    text: `${failed.length ? `${failed.length} of ${matches.length} matching tests not passed` : `${matches.length} matching test(s) passed`}: ${shown.join('; ')}${more} [${matches[0].file}]`,
  };
}

function checkFile(item) {
  const files = globFiles(item.file);
  if (files.length === 0) return { pass: false, text: `file ${item.file}: missing` };
  if (!item.contains) return { pass: true, text: `file ${files.map(rel).join(', ')} exists` };
  const re = new RegExp(item.contains);
  const hit = files.find((f) => re.test(fs.readFileSync(f, 'utf8')));
  return hit
    ? { pass: true, text: `file ${rel(hit)} contains /${item.contains}/` }
    : { pass: false, text: `file ${item.file}: does not contain /${item.contains}/` };
}

function checkScan(item, ctx) {
  const s = ctx.scan?.summary;
  if (!s) return { pass: false, text: `scan ${item.scan}: no scan ran in this gate run` };
  const where = rel(ctx.scan.outDir);
  const complete = !s.result.startsWith('INCOMPLETE');
  const clean = s.counts.CRITICAL + s.counts.HIGH === 0;
  const figures = `${s.engine}, ${s.durationSeconds} s, ${fmtSeverities(s.counts)}`;
  switch (item.scan) {
    case 'executed': {
      const zap = s.engine.startsWith('zap');
      const engineOk = !item.requireEngine || s.engine.startsWith(item.requireEngine);
      const what = zap
        ? 'OWASP ZAP API scan executed'
        : 'OWASP ZAP NOT run (no Docker engine); its substitute, wapiti + sqlmap, executed';
      return { pass: complete && engineOk, text: `${what} against ${s.target}: ${figures}; ${s.result}` };
    }
    case 'report-exported': {
      const files = ['summary.json', 'report.md'].filter((f) => fs.existsSync(path.join(ctx.scan.outDir, f)));
      return { pass: files.length === 2, text: `reports exported: ${files.map((f) => `${where}/${f}`).join(', ')}` };
    }
    case 'no-high':
      return {
        pass: complete && s.counts.HIGH === 0,
        text: `HIGH findings in this run: ${s.counts.HIGH} (${where}/summary.json)`,
      };
    case 'no-critical':
      return {
        pass: complete && s.counts.CRITICAL === 0,
        text: `CRITICAL findings in this run: ${s.counts.CRITICAL} (${where}/summary.json)`,
      };
    case 'no-high-critical':
      return {
        pass: complete && clean,
        text: `HIGH+CRITICAL findings: ${s.counts.HIGH + s.counts.CRITICAL}; ${figures}`,
      };
    case 'rerun-clean': {
      const earlier = fs
        .readdirSync(path.join(ROOT, 'reports/security'))
        .filter(
          (d) =>
            d !== path.basename(ctx.scan.outDir) &&
            !d.endsWith('-positive-control') &&
            fs.existsSync(path.join(ROOT, 'reports/security', d, 'summary.json')),
        );
      const archived = ctx.hadArchive ? 1 : 0;
      const runs = earlier.length + archived;
      return {
        pass: complete && clean && runs > 0,
        text: `this run is ${clean ? 'clean' : 'NOT clean'} and ${runs} earlier scan report(s) exist (${earlier.length} in reports/security, ${archived} archived)`,
      };
    }
    case 'positive-control':
      return ctx.positiveControl
        ? { pass: ctx.positiveControl.passed, text: ctx.positiveControl.text }
        : { pass: false, text: 'positive control not run' };
    case 'archived':
      return ctx.archive
        ? {
            pass: true,
            text: `archived to ${ctx.archive.files.join(', ')} (sha256 ${ctx.archive.sha256.slice(0, 16)}…)`,
          }
        : { pass: false, text: 'no scan report archived' };
    default:
      return { pass: false, text: `unknown scan check ${item.scan}` };
  }
}

function checkInstance(item, ctx) {
  const i = ctx.instance;
  if (!i) return { pass: false, text: `instance ${item.instance}: no instance was started in this gate run` };
  if (item.instance === 'migrated')
    return {
      pass: i.migrated,
      text: `fresh database migrated with prisma migrate deploy: ${i.migrated ? 'yes' : 'no'}`,
    };
  if (item.instance === 'ready')
    return { pass: i.ready, text: `fresh instance /health/ready: ${i.ready ? '200' : 'not ready'}` };
  if (item.instance === 'log-clean') {
    if (i.logClean === null) return { pass: false, text: 'instance log not checked (no scan ran)' };
    return {
      pass: i.logClean,
      text: `instance log after the scan: ${i.logLines} lines, ${i.leakedCount} secret/password/token value(s) found, ${i.serverErrors} 5xx answer(s) logged`,
    };
  }
  return { pass: false, text: `unknown instance check ${item.instance}` };
}

function checkJest(item, ctx) {
  const t = ctx.jest?.totals;
  if (!t) return { pass: false, text: 'the test suites did not run' };
  const pass = !ctx.jest.partial && t.failed === 0 && t.failedSuites === 0 && t.suitesWithRuntimeErrors === 0;
  return {
    pass,
    text: `jest: ${t.passed}/${t.tests} tests passed, ${t.failed} failed, ${t.skipped} skipped, ${t.suites} suites (${t.failedSuites} failed)${ctx.jest.partial ? '; PARTIAL run' : ''}`,
  };
}

function checkBoxes(item, box, boxes, ticked) {
  let group;
  if (item.boxes === 'section-others') group = boxes.filter((b) => b.task === box.task && b !== box);
  else if (item.boxes === 'all-tasks') group = boxes.filter((b) => /^TASK /.test(b.task ?? ''));
  else if (item.boxes === 'verification')
    group = boxes.filter((b) => /^TASK /.test(b.task ?? '') && /^(Verification|Validation)/.test(b.subsection ?? ''));
  else return { pass: false, text: `unknown boxes group ${item.boxes}` };
  const open = group.filter((b) => !ticked.has(b.text));
  return {
    pass: open.length === 0,
    text: `${group.length - open.length}/${group.length} boxes ticked${
      open.length
        ? `; open: ${open
            .slice(0, 6)
            .map((b) => `"${b.text}"`)
            .join(', ')}${open.length > 6 ? ', …' : ''}`
        : ''
    }`,
  };
}

function evaluate(boxes, mapping, ctx) {
  const results = new Map();
  const ticked = new Set();
  // Boxes that depend on other boxes are settled last, after a fixpoint of the others.
  for (let pass = 0; pass < 4; pass++) {
    for (const box of boxes) {
      const items = mapping[box.text];
      if (!items || items.length === 0) {
        results.set(box.text, {
          ticked: false,
          evidence: [{ pass: false, text: 'no evidence mapped in docs/gate-1-evidence.json' }],
        });
        continue;
      }
      const evidence = items.map((item) => {
        let r;
        if (item.test !== undefined) r = checkTest(item, ctx);
        else if (item.file !== undefined) r = checkFile(item);
        else if (item.scan !== undefined) r = checkScan(item, ctx);
        else if (item.instance !== undefined) r = checkInstance(item, ctx);
        else if (item.jest !== undefined) r = checkJest(item, ctx);
        else if (item.boxes !== undefined) r = checkBoxes(item, box, boxes, ticked);
        else r = { pass: false, text: `unknown evidence ${JSON.stringify(item)}` };
        return item.note ? { ...r, text: `${r.text} (${item.note})` } : r;
      });
      const ok = evidence.every((e) => e.pass);
      results.set(box.text, { ticked: ok, evidence });
      if (ok) ticked.add(box.text);
      else ticked.delete(box.text);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Report

function archiveScan(scan) {
  if (!scan?.summary) return null;
  const files = [];
  const hash = createHash('sha256');
  for (const [from, to] of [
    ['summary.json', 'dast-summary.json'],
    ['report.md', 'dast-report.md'],
  ]) {
    const source = path.join(scan.outDir, from);
    if (!fs.existsSync(source)) return null;
    const content = fs.readFileSync(source);
    hash.update(content);
    fs.writeFileSync(path.join(OUT, to), content);
    files.push(rel(path.join(OUT, to)));
  }
  return { files, sha256: hash.digest('hex') };
}

function render(checklist, boxes, results, ctx, signoff) {
  const lines = checklist.split('\n');
  const byIndex = new Map(boxes.map((b) => [b.index, b]));
  const out = [
    '<!-- Generated by `npm run gate` (scripts/gate.js) from docs/gate-1-checklist.md and docs/gate-1-evidence.json. Do not edit by hand. -->',
    '',
  ];
  lines.forEach((line, index) => {
    const box = byIndex.get(index);
    if (box) {
      const r = results.get(box.text);
      out.push(`- [${r.ticked ? 'x' : ' '}] ${box.text}`);
      for (const e of r.evidence) out.push(`  - ${e.pass ? 'PASS' : 'FAIL'}: ${e.text.replace(/\n/g, ' ')}`);
    } else if (/GATE 1 PASSED/.test(line) && !signoff.passed) {
      out.push(`🚦 **GATE 1 NOT PASSED** (${signoff.tickedCount} of ${boxes.length} boxes ticked)`);
    } else {
      out.push(line);
    }
  });
  out.push(
    '',
    '---',
    '',
    '## Sign-off',
    '',
    `- date: ${signoff.date}`,
    `- commit: ${signoff.commit}`,
    `- result: **${signoff.passed ? 'GATE 1 PASSED' : 'GATE 1 NOT PASSED'}**: ${signoff.tickedCount} of ${boxes.length} boxes ticked`,
    `- tests: ${ctx.jest?.totals ? `${ctx.jest.totals.passed}/${ctx.jest.totals.tests} passed, ${ctx.jest.totals.failed} failed, ${ctx.jest.totals.skipped} skipped in ${ctx.jest.totals.suites} suites (${Math.round(ctx.jest.seconds)} s)${ctx.jest.partial ? ', PARTIAL run' : ''}; per test: reports/gate/jest.json` : 'not run'}`,
    `- DAST: ${ctx.scan?.summary ? `${ctx.scan.summary.engine} against a fresh instance, ${ctx.scan.summary.durationSeconds} s, ${fmtSeverities(ctx.scan.summary.counts)}; ${ctx.scan.summary.result}; ${rel(ctx.scan.outDir)} (archived: ${ctx.archive ? ctx.archive.files.join(', ') : 'no'})` : 'not run'}`,
    `- scanned instance: ${ctx.instance ? `users ${JSON.stringify(ctx.instance.users ?? {})}; log ${ctx.instance.logLines ?? '?'} lines, ${ctx.instance.serverErrors ?? '?'} 5xx` : 'not started'}`,
    `- tools: node ${signoff.versions.node}; PostgreSQL ${signoff.versions.postgres ?? 'unknown'}; Redis ${signoff.versions.redis ?? 'unknown'}; wapiti ${signoff.versions.wapiti ?? 'not installed'}; sqlmap ${signoff.versions.sqlmap ?? 'not installed'}; ZAP ${signoff.versions.zap}`,
    `- signed off by: scripts/gate.js (automated; a human reviewer adds their name in the merge request)`,
    '',
  );
  return out.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(path.join(ROOT, 'reports/security'), { recursive: true });
  if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && fs.existsSync(opts.offlineEngine)) {
    process.env.PRISMA_SCHEMA_ENGINE_BINARY = opts.offlineEngine;
    log(`Prisma schema engine: ${opts.offlineEngine} (--offline-engine)`);
  }
  const started = Date.now();

  log('building');
  const build = await run('npm', ['run', 'build'], { quiet: false });
  if (build.code !== 0) {
    log('build failed');
    process.exit(1);
  }

  const ctx = {};
  if (!opts.skipTests) ctx.jest = await runJest(opts);
  if (!opts.skipScan) Object.assign(ctx, await runInstanceAndScan());
  ctx.hadArchive = fs.existsSync(path.join(OUT, 'dast-summary.json')); // a scan archived by an earlier gate run
  ctx.archive = archiveScan(ctx.scan);

  const checklist = fs.readFileSync(path.join(ROOT, 'docs/gate-1-checklist.md'), 'utf8');
  const mapping = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/gate-1-evidence.json'), 'utf8')).boxes;
  const boxes = parseChecklist(checklist);
  const unknown = Object.keys(mapping).filter((k) => !boxes.some((b) => b.text === k));
  if (unknown.length) log(`evidence mapped to lines not in the checklist: ${unknown.join('; ')}`);
  const results = evaluate(boxes, mapping, ctx);
  const tickedCount = [...results.values()].filter((r) => r.ticked).length;

  const signoff = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    passed: tickedCount === boxes.length,
    tickedCount,
    versions: {
      node: process.version,
      postgres: await postgresVersion(),
      redis: (firstLine('redis-server', ['--version']) ?? '').match(/v=(\S+)/)?.[1] ?? null,
      wapiti: ctx.scan?.summary?.tools?.wapiti ?? firstLine('wapiti', ['--version']),
      sqlmap: ctx.scan?.summary?.tools?.sqlmap ?? firstLine('sqlmap', ['--version']),
      zap: ctx.scan?.summary?.tools?.zap ?? 'not used (no Docker engine)',
    },
  };
  fs.writeFileSync(path.join(ROOT, 'reports/gate-1.md'), render(checklist, boxes, results, ctx, signoff));
  fs.writeFileSync(
    path.join(OUT, 'evidence.json'),
    JSON.stringify(
      {
        signoff,
        jest: ctx.jest ? { ...ctx.jest, tests: undefined } : null,
        scan: ctx.scan
          ? {
              exitCode: ctx.scan.exitCode,
              dir: rel(ctx.scan.outDir),
              counts: ctx.scan.summary?.counts,
              result: ctx.scan.summary?.result,
            }
          : null,
        instance: ctx.instance ? { ...ctx.instance, dir: undefined } : null,
        boxes: boxes.map((b) => ({ task: b.task, subsection: b.subsection, box: b.text, ...results.get(b.text) })),
      },
      null,
      2,
    ) + '\n',
  );

  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(`\nGate 1: ${tickedCount}/${boxes.length} boxes ticked in ${seconds} s -> reports/gate-1.md\n`);
  const open = boxes.filter((b) => !results.get(b.text).ticked);
  for (const b of open) process.stdout.write(`  [ ] ${b.task?.split(' — ')[0]}: ${b.text}\n`);
  process.stdout.write(signoff.passed ? 'GATE 1 PASSED\n' : 'GATE 1 NOT PASSED\n');
  process.exit(signoff.passed ? 0 : 1);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`gate: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  });
}

module.exports = { parseChecklist, evaluate };
