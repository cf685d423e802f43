import { readFileSync } from 'node:fs';
import { Finding } from './findings';
import { SERVER_ERROR_SEVERITY } from './severity';

interface LogEntry {
  req?: { method?: string; url?: string };
  res?: { statusCode?: unknown };
}

const UUID = /[0-9a-f]{8}-[0-9a-f-]{27}/gi;

/**
 * The scanned server's own view: every 5xx it logged while the scan ran (pino JSON lines written
 * after byte `offset`), grouped by method and route. Bad input must never produce a 5xx, so each
 * group is a finding, whichever scanner caused it (this also covers sqlmap runs cut at their limit).
 */
export function serverErrorsFromLog(file: string, offset: number): Finding[] {
  const text = readFileSync(file).subarray(offset).toString('utf8');
  const groups = new Map<string, { route: string; status: number; times: number }>();
  for (const line of text.split('\n')) {
    if (!line.includes('"statusCode":5')) continue;
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      continue;
    }
    const status = entry.res?.statusCode;
    if (typeof status !== 'number' || status < 500) continue;
    const route = `${entry.req?.method ?? '?'} ${String(entry.req?.url ?? '?').replace(UUID, '{id}')}`;
    const key = `${route} -> ${status}`;
    const group = groups.get(key) ?? { route, status, times: 0 };
    group.times += 1;
    groups.set(key, group);
  }
  return [...groups.values()].map(({ route, status, times }) => ({
    tool: 'server-log',
    severity: SERVER_ERROR_SEVERITY,
    kind: 'anomaly',
    title: 'Server error on scanner input',
    target: route,
    detail: `${times} answer(s) with HTTP ${status} logged by the server during the scan`,
  }));
}
