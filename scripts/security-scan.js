#!/usr/bin/env node
'use strict';
/**
 * DAST scan of a running gateway on this machine (127.0.0.1/localhost only).
 *
 *   node scripts/security-scan.js --url http://127.0.0.1:3000 [--token JWT] [--admin-token JWT]
 *        [--refresh-token T] [--out DIR] [--engine auto|zap|local] [--server-log FILE]
 *   (or SCAN_TARGET_URL, SCAN_BEARER_TOKEN, SCAN_ADMIN_TOKEN, SCAN_REFRESH_TOKEN, SCAN_OUTPUT_DIR, SCAN_ENGINE)
 *
 * Engine `zap` (chosen by `auto` when `docker info` succeeds): OWASP ZAP's API scan of /docs-json
 * with security/zap/rules.tsv. Engine `local`: wapiti (crawl + attack modules) and sqlmap against
 * the JSON bodies and path/query parameters listed in security/dast/targets.json.
 *
 * Writes reports/security/<timestamp>/: summary.json (counts by severity, findings, coverage),
 * report.md, the tools' own JSON, and the sqlmap logs, with every bearer/refresh token replaced by
 * [REDACTED]. Prints a summary table. Exit: 0 clean, 1 any HIGH/CRITICAL finding, 2 usage error,
 * 3 scan could not run or was incomplete (target unreachable, a tool failed).
 *
 * Severity mapping (see README "Security gate"):
 *   wapiti level 4/3/2/1/0 -> CRITICAL/HIGH/MEDIUM/LOW/INFO (its "Internal Server Error" anomaly is level 3)
 *   sqlmap injectable parameter -> CRITICAL; any 5xx answer during a sqlmap run -> HIGH
 *   --server-log FILE (the scanned gateway's log): every 5xx it logged during the scan -> HIGH
 *   ZAP riskcode 3/2/1/0 -> HIGH/MEDIUM/LOW/INFO
 */
const { spawn, spawnSync } = require('node:child_process');
const { randomUUID, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
const WAPITI_LEVELS = { 4: 'CRITICAL', 3: 'HIGH', 2: 'MEDIUM', 1: 'LOW', 0: 'INFO' };
const ZAP_RISKS = { 3: 'HIGH', 2: 'MEDIUM', 1: 'LOW', 0: 'INFO' };
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const ZAP_IMAGE = 'ghcr.io/zaproxy/zaproxy:stable';

function parseArgs(argv) {
  const opts = {
    url: process.env.SCAN_TARGET_URL,
    token: process.env.SCAN_BEARER_TOKEN,
    adminToken: process.env.SCAN_ADMIN_TOKEN,
    refreshToken: process.env.SCAN_REFRESH_TOKEN,
    out: process.env.SCAN_OUTPUT_DIR,
    engine: process.env.SCAN_ENGINE ?? 'auto',
    serverLog: process.env.SCAN_SERVER_LOG,
  };
  const names = {
    '--url': 'url',
    '--token': 'token',
    '--admin-token': 'adminToken',
    '--refresh-token': 'refreshToken',
    '--out': 'out',
    '--engine': 'engine',
    '--server-log': 'serverLog',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const key = names[flag];
    if (!key) throw new UsageError(`unknown argument ${flag}`);
    opts[key] = inline !== undefined ? inline : argv[++i];
  }
  if (!opts.url) throw new UsageError('the target URL is required (--url or SCAN_TARGET_URL)');
  let url;
  try {
    url = new URL(opts.url);
  } catch {
    throw new UsageError('the target URL is not a URL');
  }
  if (!LOCAL_HOSTS.has(url.hostname)) {
    throw new UsageError(`refusing to scan ${url.hostname}: only 127.0.0.1/localhost targets are allowed`);
  }
  opts.url = url.origin;
  if (!['auto', 'zap', 'local'].includes(opts.engine)) throw new UsageError('--engine must be auto, zap or local');
  opts.adminToken ||= opts.token;
  opts.token ||= opts.adminToken;
  return opts;
}

class UsageError extends Error {}

const numberFromEnv = (name, fallback) => {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

function timestamp() {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function toolVersion(command, args) {
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 20000 });
  if (run.error || run.status !== 0) return null;
  const text = `${run.stdout}\n${run.stderr}`;
  const match = /(\d+\.\d+(\.\d+)?[^\s]*)/.exec(
    text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), ''),
  );
  return match ? match[1] : text.trim().split('\n')[0];
}

/** Runs a command with a wall-clock limit; resolves with its output, exit code and whether it was cut. */
function run(command, args, { timeoutSeconds, cwd, env } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // SIGINT first: sqlmap and wapiti treat it as a user abort and still print their summaries.
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGTERM'), 5000).unref();
      setTimeout(() => child.kill('SIGKILL'), 10000).unref();
    }, timeoutSeconds * 1000);
    child.stdout.on('data', (c) => (output += c.toString('utf8')));
    child.stderr.on('data', (c) => (output += c.toString('utf8')));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: String(error), timedOut, seconds: (Date.now() - started) / 1000, error });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function dockerEngineAvailable() {
  const info = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15000 });
  return !info.error && info.status === 0;
}

/** Replaces every token value with [REDACTED] (tokens never end up in a report file). */
function makeRedactor(values) {
  const needles = values.filter((v) => typeof v === 'string' && v.length >= 8);
  return (text) => needles.reduce((acc, needle) => acc.split(needle).join('[REDACTED]'), text);
}

function substitute(text, vars) {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name) => vars[name] ?? '');
}

function authHeader(opts, auth) {
  if (auth === 'admin' && opts.adminToken) return `Authorization: Bearer ${opts.adminToken}`;
  if (auth === 'user' && opts.token) return `Authorization: Bearer ${opts.token}`;
  return undefined;
}

async function runWapiti(opts, config, outDir, redact, budget) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-wapiti-'));
  const vars = { uuid: randomUUID() };
  const starts = config.startPaths.map((s) => `${opts.url}${substitute(s.path, vars)}`);
  const header = authHeader(opts, 'admin');
  const args = [
    '-u',
    `${opts.url}/`,
    '--scope',
    'folder',
    ...starts.flatMap((s) => ['-s', s]),
    '-m',
    config.modules,
    '--max-scan-time',
    String(budget.wapitiScan),
    '--max-attack-time',
    String(budget.wapitiAttack),
    '-t',
    '10',
    '--flush-session',
    '--store-session',
    tmp,
    '--no-bugreport',
    '-v',
    '1',
    '-f',
    'json',
    '-o',
    path.join(tmp, 'wapiti.json'),
    ...(header ? ['-H', header] : []),
  ];
  const result = await run('wapiti', args, { timeoutSeconds: budget.wapitiScan + 120, cwd: tmp });
  fs.writeFileSync(path.join(outDir, 'wapiti.log'), redact(result.output));
  const findings = [];
  let status = 'completed';
  let report;
  try {
    report = JSON.parse(fs.readFileSync(path.join(tmp, 'wapiti.json'), 'utf8'));
  } catch {
    status = result.timedOut ? 'time-limit (no report)' : `failed (exit ${result.code})`;
  }
  if (report) {
    // The report's http_request/curl_command fields repeat the Authorization header: redact.
    fs.writeFileSync(path.join(outDir, 'wapiti.json'), redact(JSON.stringify(report, null, 2)) + '\n');
    for (const kind of ['vulnerabilities', 'anomalies']) {
      for (const [category, items] of Object.entries(report[kind] ?? {})) {
        for (const item of items) {
          findings.push({
            tool: 'wapiti',
            severity: WAPITI_LEVELS[Number(item.level)] ?? 'INFO',
            kind: kind === 'vulnerabilities' ? 'vulnerability' : 'anomaly',
            title: category,
            target: `${item.method} ${item.path}`,
            parameter: item.parameter || undefined,
            detail: redact(item.info ?? ''),
          });
        }
      }
    }
    if (result.timedOut) status = 'completed (cut at time limit)';
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return { tool: 'wapiti', status, seconds: result.seconds, findings, modules: config.modules };
}

function parseSqlmap(output) {
  const injectable = [...output.matchAll(/Parameter: (.+?) \((.+?)\)\n([\s\S]*?)(?:\n---|\n\n)/g)].map((m) => ({
    parameter: m[1].trim(),
    place: m[2].trim(),
  }));
  // "401 (Unauthorized) - 1000 times, 400 (Bad Request) - 1865 times" (one line, or several).
  const codes = {};
  const block = /HTTP error codes detected during run:\n([\s\S]*?)(?:\n\[|\n\n|$)/.exec(output);
  if (block) {
    for (const m of block[1].matchAll(/(\d{3}) \([^)]*\) - (\d+) times/g)) codes[m[1]] = Number(m[2]);
  }
  const critical = [...output.matchAll(/\[CRITICAL\] (.+)/g)].map((m) => m[1]);
  const notInjectable = /do not appear to be injectable|does not seem to be injectable/.test(output);
  return { injectable, codes, critical, notInjectable };
}

async function runSqlmapTarget(opts, target, routes, outDir, redact, budget) {
  const base = { tool: 'sqlmap', target: `${target.method} ${target.route}`, name: target.name };
  if (routes && !routes.has(`${target.method.toLowerCase()} ${target.route}`)) {
    return { ...base, status: 'skipped: route not in the OpenAPI document', seconds: 0, findings: [] };
  }
  const header = authHeader(opts, target.auth);
  if (target.auth !== 'none' && !header) {
    return { ...base, status: 'skipped: no bearer token for this route', seconds: 0, findings: [] };
  }
  const vars = {
    uuid: randomUUID(),
    idem: randomBytes(8).toString('hex'),
    refreshToken: opts.refreshToken ?? 'no-refresh-token',
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-sqlmap-'));
  const args = [
    '-u',
    `${opts.url}${substitute(target.path, vars)}`,
    '--method',
    target.method,
    '--batch',
    '--level',
    String(budget.sqlmapLevel),
    '--risk',
    String(budget.sqlmapRisk),
    '--technique',
    'BEUT',
    '--time-sec',
    '2',
    '--timeout',
    '10',
    '--retries',
    '0',
    '--threads',
    '2',
    // Expected refusals are answers, not errors: keep testing through them.
    '--ignore-code',
    '400,401,403,404,409,413,415,422,423,429',
    '--output-dir',
    tmp,
    '--disable-coloring',
    '--flush-session',
    // A JSON content type without a body is itself a 400 (empty JSON body): only send it with data.
    ...(target.data ? ['-H', 'Content-Type: application/json'] : []),
    '-H',
    'Accept: application/json',
    ...(header ? ['-H', header] : []),
    ...Object.entries(target.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${substitute(v, vars)}`]),
    ...(target.data ? ['--data', substitute(JSON.stringify(target.data), vars)] : []),
  ];
  const result = await run('sqlmap', args, { timeoutSeconds: budget.sqlmapTarget, cwd: tmp });
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.writeFileSync(path.join(outDir, 'sqlmap', `${target.name}.log`), redact(result.output));
  const parsed = parseSqlmap(result.output);
  const findings = parsed.injectable.map((p) => ({
    tool: 'sqlmap',
    severity: 'CRITICAL',
    kind: 'vulnerability',
    title: 'SQL injection',
    target: base.target,
    parameter: p.parameter,
    detail: `sqlmap found ${p.parameter} (${p.place}) injectable`,
  }));
  const serverErrors = Object.entries(parsed.codes).filter(([code]) => Number(code) >= 500);
  for (const [code, times] of serverErrors) {
    findings.push({
      tool: 'sqlmap',
      severity: 'HIGH',
      kind: 'anomaly',
      title: 'Server error on hostile input',
      target: base.target,
      detail: `${times} answers with HTTP ${code} while sqlmap probed this route`,
    });
  }
  let status;
  if (result.error) status = `failed: ${result.error.message}`;
  else if (parsed.injectable.length) status = 'injectable';
  else if (result.timedOut) status = 'completed (cut at time limit)';
  else if (parsed.notInjectable) status = 'completed: not injectable';
  else if (parsed.critical.length) status = `failed: ${redact(parsed.critical[0]).slice(0, 200)}`;
  else status = `completed (exit ${result.code})`;
  return { ...base, status, seconds: result.seconds, httpCodes: parsed.codes, findings };
}

async function runLocal(opts, outDir, redact, routes) {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'security/dast/targets.json'), 'utf8'));
  const budget = {
    wapitiScan: numberFromEnv('SCAN_WAPITI_MAX_SECONDS', 240),
    wapitiAttack: numberFromEnv('SCAN_WAPITI_ATTACK_SECONDS', 60),
    sqlmapTarget: numberFromEnv('SCAN_SQLMAP_TARGET_SECONDS', 120),
    sqlmapLevel: numberFromEnv('SCAN_SQLMAP_LEVEL', 3),
    sqlmapRisk: numberFromEnv('SCAN_SQLMAP_RISK', 2),
  };
  fs.mkdirSync(path.join(outDir, 'sqlmap'), { recursive: true });
  const tools = { wapiti: toolVersion('wapiti', ['--version']), sqlmap: toolVersion('sqlmap', ['--version']) };
  const runs = [];
  const jobs = [];
  if (tools.wapiti) jobs.push(runWapiti(opts, config.wapiti, outDir, redact, budget).then((r) => runs.push(r)));
  else
    runs.push({
      tool: 'wapiti',
      status: 'failed: wapiti is not installed (apt-get install wapiti)',
      seconds: 0,
      findings: [],
    });
  if (tools.sqlmap) {
    // Two sqlmap runs at a time, beside wapiti: the whole scan stays within a few minutes.
    const queue = [...config.sqlmap];
    const worker = async () => {
      for (let t = queue.shift(); t; t = queue.shift())
        runs.push(await runSqlmapTarget(opts, t, routes, outDir, redact, budget));
    };
    jobs.push(worker(), worker());
  } else {
    runs.push({
      tool: 'sqlmap',
      status: 'failed: sqlmap is not installed (apt-get install sqlmap)',
      seconds: 0,
      findings: [],
    });
  }
  await Promise.all(jobs);
  fs.writeFileSync(
    path.join(outDir, 'sqlmap.json'),
    JSON.stringify(
      runs.filter((r) => r.tool === 'sqlmap'),
      null,
      2,
    ) + '\n',
  );
  return { engine: 'local (wapiti + sqlmap)', tools, runs, budget, excluded: config.wapiti.excludedModules };
}

async function runZap(opts, outDir, redact) {
  const header = authHeader(opts, 'admin');
  // The ZAP image runs as uid 1000 ("zap"): it must be able to write its reports here.
  fs.chmodSync(outDir, 0o777);
  const args = [
    'run',
    '--rm',
    '--network',
    'host',
    '-v',
    `${outDir}:/zap/wrk:rw`,
    '-v',
    `${path.join(ROOT, 'security/zap')}:/zap/wrk/config:ro`,
    ...(header
      ? [
          '-e',
          'ZAP_AUTH_HEADER=Authorization',
          '-e',
          `ZAP_AUTH_HEADER_VALUE=${header.replace(/^Authorization: /, '')}`,
          '-e',
          `ZAP_AUTH_HEADER_SITE=${new URL(opts.url).host}`,
        ]
      : []),
    ZAP_IMAGE,
    'zap-api-scan.py',
    '-t',
    `${opts.url}/docs-json`,
    '-f',
    'openapi',
    '-c',
    'config/rules.tsv',
    '-J',
    'zap.json',
    '-w',
    'zap.md',
    '-I',
  ];
  const result = await run('docker', args, { timeoutSeconds: numberFromEnv('SCAN_ZAP_MAX_SECONDS', 900) });
  fs.writeFileSync(path.join(outDir, 'zap.log'), redact(result.output));
  const findings = [];
  let status = `completed (exit ${result.code})`;
  try {
    const report = JSON.parse(fs.readFileSync(path.join(outDir, 'zap.json'), 'utf8'));
    fs.writeFileSync(path.join(outDir, 'zap.json'), redact(JSON.stringify(report, null, 2)) + '\n');
    for (const site of report.site ?? []) {
      for (const alert of site.alerts ?? []) {
        findings.push({
          tool: 'zap',
          severity: ZAP_RISKS[Number(alert.riskcode)] ?? 'INFO',
          kind: 'alert',
          title: `${alert.name} (${alert.pluginid})`,
          target: (alert.instances ?? [])
            .slice(0, 3)
            .map((i) => `${i.method} ${i.uri}`)
            .join(', '),
          detail: `${alert.count ?? (alert.instances ?? []).length} instance(s)`,
        });
      }
    }
  } catch {
    status = `failed (exit ${result.code}): no zap.json`;
  }
  return {
    engine: `zap (${ZAP_IMAGE})`,
    tools: { zap: ZAP_IMAGE },
    runs: [{ tool: 'zap', status, seconds: result.seconds, findings }],
  };
}

/**
 * The scanned server's own view: every 5xx it logged while the scan ran (pino JSON lines written
 * after `offset`), grouped by method and route. Bad input must never produce a 5xx, so each group is
 * a HIGH finding, whichever scanner caused it (this also covers sqlmap runs cut at their time limit).
 */
function serverErrorsFromLog(file, offset) {
  const text = fs.readFileSync(file, 'utf8').slice(offset);
  const groups = new Map();
  for (const line of text.split('\n')) {
    if (!line.includes('"statusCode":5')) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const status = entry.res?.statusCode;
    if (typeof status !== 'number' || status < 500) continue;
    const route = `${entry.req?.method ?? '?'} ${String(entry.req?.url ?? '?').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, '{id}')}`;
    const key = `${route} -> ${status}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([key, times]) => ({
    tool: 'server-log',
    severity: 'HIGH',
    kind: 'anomaly',
    title: 'Server error on scanner input',
    target: key.split(' -> ')[0],
    detail: `${times} answer(s) with HTTP ${key.split(' -> ')[1]} logged by the server during the scan`,
  }));
}

function countBySeverity(findings) {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

function markdown(summary) {
  const esc = (s) =>
    String(s ?? '')
      .replace(/\|/g, '\\|')
      .replace(/\n/g, ' ');
  const lines = [
    `# DAST scan ${summary.id}`,
    '',
    `- target: ${summary.target} (OpenAPI routes: ${summary.openapiRoutes ?? 'not available'})`,
    `- engine: ${summary.engine}; tools: ${Object.entries(summary.tools)
      .map(([k, v]) => `${k} ${v ?? 'missing'}`)
      .join(', ')}`,
    `- started ${summary.startedAt}, took ${summary.durationSeconds} s; authenticated: user ${summary.authenticated.user}, admin ${summary.authenticated.admin}`,
    `- result: **${summary.result}**`,
    '',
    '| severity | findings |',
    '|---|---|',
    ...SEVERITIES.map((s) => `| ${s} | ${summary.counts[s]} |`),
    '',
    '## Findings',
    '',
  ];
  if (summary.findings.length === 0) lines.push('None.');
  else {
    lines.push('| severity | tool | kind | title | target | parameter | detail |', '|---|---|---|---|---|---|---|');
    for (const f of summary.findings) {
      lines.push(
        `| ${f.severity} | ${f.tool} | ${f.kind} | ${esc(f.title)} | ${esc(f.target)} | ${esc(f.parameter)} | ${esc(f.detail)} |`,
      );
    }
  }
  lines.push('', '## Coverage', '', '| tool | target | status | seconds | HTTP codes seen |', '|---|---|---|---|---|');
  for (const r of summary.runs) {
    const codes = r.httpCodes
      ? Object.entries(r.httpCodes)
          .map(([c, n]) => `${c}x${n}`)
          .join(' ')
      : '';
    lines.push(
      `| ${r.tool} | ${esc(r.target ?? r.modules ?? '')} | ${esc(r.status)} | ${r.seconds.toFixed(1)} | ${codes} |`,
    );
  }
  if (summary.excluded) lines.push('', `Excluded: ${summary.excluded}.`);
  lines.push(
    '',
    'Severity mapping: wapiti level 4/3/2/1/0 -> CRITICAL/HIGH/MEDIUM/LOW/INFO (a 500 answer is a level-3 anomaly);',
    'sqlmap injectable parameter -> CRITICAL, any 5xx during a sqlmap run -> HIGH; a 5xx in the server log during the scan -> HIGH;',
    'ZAP riskcode 3/2/1/0 -> HIGH/MEDIUM/LOW/INFO.',
    '',
  );
  return lines.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const id = timestamp();
  const outDir = path.resolve(opts.out ?? path.join(ROOT, 'reports/security', id));
  fs.mkdirSync(outDir, { recursive: true });
  const redact = makeRedactor([opts.token, opts.adminToken, opts.refreshToken]);
  const started = Date.now();

  let routes;
  let openapiRoutes;
  try {
    const res = await fetch(`${opts.url}/docs-json`, { signal: AbortSignal.timeout(10000) });
    if (res.ok) {
      const doc = await res.json();
      routes = new Set();
      for (const [p, ops] of Object.entries(doc.paths ?? {})) for (const m of Object.keys(ops)) routes.add(`${m} ${p}`);
      openapiRoutes = routes.size;
      fs.writeFileSync(path.join(outDir, 'openapi.json'), JSON.stringify(doc, null, 2) + '\n');
    }
  } catch {
    const live = await fetch(`${opts.url}/health/live`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    if (!live) {
      process.stderr.write(`security-scan: ${opts.url} is not reachable\n`);
      process.exit(3);
    }
  }

  const serverLogOffset = opts.serverLog && fs.existsSync(opts.serverLog) ? fs.statSync(opts.serverLog).size : null;
  const useZap = opts.engine === 'zap' || (opts.engine === 'auto' && dockerEngineAvailable());
  if (useZap && !routes) {
    process.stderr.write('security-scan: ZAP needs the OpenAPI document at /docs-json (DOCS_ENABLED=true)\n');
    process.exit(3);
  }
  process.stderr.write(
    `security-scan: ${useZap ? 'ZAP via Docker' : 'no Docker engine: wapiti + sqlmap'} against ${opts.url}\n`,
  );
  const result = useZap ? await runZap(opts, outDir, redact) : await runLocal(opts, outDir, redact, routes);

  if (serverLogOffset !== null) {
    const started_ = Date.now();
    const findings = serverErrorsFromLog(opts.serverLog, serverLogOffset);
    result.runs.push({
      tool: 'server-log',
      target: 'gateway log during the scan',
      status: 'completed',
      seconds: (Date.now() - started_) / 1000,
      findings,
    });
  }
  const findings = result.runs.flatMap((r) => r.findings);
  findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  const counts = countBySeverity(findings);
  const incomplete = result.runs.filter((r) => r.status.startsWith('failed'));
  const result_ =
    counts.CRITICAL + counts.HIGH > 0
      ? 'FAIL (HIGH/CRITICAL findings)'
      : incomplete.length
        ? 'INCOMPLETE (a scanner failed)'
        : 'PASS (no HIGH/CRITICAL findings)';
  const summary = {
    id,
    target: opts.url,
    engine: result.engine,
    tools: result.tools,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    authenticated: { user: Boolean(opts.token), admin: Boolean(opts.adminToken) },
    openapiRoutes,
    counts,
    result: result_,
    budget: result.budget,
    excluded: result.excluded,
    severityMapping: {
      wapiti: 'level 4 CRITICAL, 3 HIGH (includes "Internal Server Error" anomalies), 2 MEDIUM, 1 LOW, 0 INFO',
      sqlmap: 'injectable parameter CRITICAL; any 5xx answer during a run HIGH',
      serverLog: 'each method+route the server answered with a 5xx during the scan HIGH',
      zap: 'riskcode 3 HIGH, 2 MEDIUM, 1 LOW, 0 INFO',
    },
    runs: result.runs.map(({ findings: f, ...rest }) => ({ ...rest, findings: f.length })),
    findings,
  };
  fs.writeFileSync(path.join(outDir, 'summary.json'), redact(JSON.stringify(summary, null, 2)) + '\n');
  fs.writeFileSync(path.join(outDir, 'report.md'), redact(markdown(summary)));

  const rel = path.relative(process.cwd(), outDir) || '.';
  process.stdout.write(`\nDAST scan of ${opts.url} (${summary.engine}) in ${summary.durationSeconds} s\n`);
  console.table(SEVERITIES.map((s) => ({ severity: s, findings: counts[s] })));
  for (const f of findings.filter((x) => x.severity === 'CRITICAL' || x.severity === 'HIGH')) {
    process.stdout.write(
      `  ${f.severity} ${f.tool}: ${f.title} at ${f.target}${f.parameter ? ` (${f.parameter})` : ''}\n`,
    );
  }
  for (const r of incomplete) process.stdout.write(`  incomplete: ${r.tool} ${r.target ?? ''} ${r.status}\n`);
  process.stdout.write(`result: ${result_}\nreports: ${rel}/summary.json, ${rel}/report.md\n`);
  process.exit(counts.CRITICAL + counts.HIGH > 0 ? 1 : incomplete.length ? 3 : 0);
}

if (require.main === module) {
  main().catch((error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`security-scan: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`security-scan: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(3);
  });
}

module.exports = { parseArgs, parseSqlmap, serverErrorsFromLog, makeRedactor };
