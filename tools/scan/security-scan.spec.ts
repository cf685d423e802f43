import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScanArgs } from './args';
import { makeRedactor } from './redact';
import { serverErrorsFromLog } from './server-log';
import { parseSqlmap } from './sqlmap';

/** The target origin parseScanArgs settles on (no SCAN_* variables in play). */
const urlOf = (argv: string[]): string => {
  const command = parseScanArgs(argv, {});
  if (command.kind !== 'scan') throw new Error(`not a scan command: ${argv.join(' ')}`);
  return command.options.url;
};

describe('security-scan parsing (no scanner needed)', () => {
  it('refuses any target but 127.0.0.1/localhost', () => {
    expect(urlOf(['--url', 'http://127.0.0.1:3000/x'])).toBe('http://127.0.0.1:3000');
    expect(urlOf(['--url=http://localhost:8080'])).toBe('http://localhost:8080');
    for (const url of ['https://example.com', 'http://10.0.0.5:3000', 'http://127.0.0.1.evil.test']) {
      expect(() => urlOf(['--url', url])).toThrow(/only 127.0.0.1\/localhost/);
    }
  });

  it('reads every HTTP code of sqlmap summary, including a 500 that is not first on the line', () => {
    const out =
      '[12:52:23] [WARNING] HTTP error codes detected during run:\n' +
      '401 (Unauthorized) - 1000 times, 500 (Internal Server Error) - 3 times, 423 (Locked) - 14 times\n' +
      "[12:52:23] [INFO] you can find results of scanning in multiple targets mode inside the CSV file '/tmp/x.csv'\n";
    expect(parseSqlmap(out).codes).toEqual({ '401': 1000, '500': 3, '423': 14 });
  });

  it('recognises an injectable JSON parameter', () => {
    const out =
      'sqlmap identified the following injection point(s) with a total of 62 HTTP(s) requests:\n---\n' +
      'Parameter: JSON #1* ((custom) POST)\n    Type: boolean-based blind\n    Title: AND boolean-based blind\n    Payload: {"email":"a\' AND 1=1-- x"}\n---\n';
    expect(parseSqlmap(out).injectable).toEqual([{ parameter: 'JSON #1*', place: '(custom) POST' }]);
  });

  it("turns the server's own 5xx log lines into HIGH findings per route, ignoring lines before the scan", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scan-spec-'));
    const file = join(dir, 'gateway.log');
    const before = JSON.stringify({ req: { method: 'GET', url: '/old' }, res: { statusCode: 500 } }) + '\n';
    const line = (url: string, status: number): string =>
      JSON.stringify({ req: { method: 'POST', url }, res: { statusCode: status } });
    writeFileSync(
      file,
      before +
        [
          line('/v1/admin/users/3f1c6a9e-2b7d-4c1e-9a3f-5d2e8b7c6a10/unlock', 500),
          line('/v1/admin/users/00000000-0000-4000-8000-000000000000/unlock', 500),
          line('/v1/payments', 400),
          'not json',
        ].join('\n'),
    );
    const findings = serverErrorsFromLog(file, before.length);
    rmSync(dir, { recursive: true, force: true });
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'HIGH',
        target: 'POST /v1/admin/users/{id}/unlock',
        detail: expect.stringContaining('2 answer(s) with HTTP 500'),
      }),
    ]);
  });

  it('redacts tokens from report text', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.payload.signature';
    expect(makeRedactor([token, undefined])(`-H "Authorization: Bearer ${token}"`)).toBe(
      '-H "Authorization: Bearer [REDACTED]"',
    );
  });
});
