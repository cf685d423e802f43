import { createLogFormatter, devLogFormat } from './log-format';

const line = (fields: Record<string, unknown>): string =>
  JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5), pid: 1, hostname: 'h', ...fields });

describe('npm run dev log format', () => {
  it('is pretty on a terminal and JSON when piped or redirected', () => {
    expect(devLogFormat({ isTTY: true })).toBe('pretty');
    expect(devLogFormat({ isTTY: false })).toBe('json');
    expect(devLogFormat({})).toBe('json');
  });

  it('shows each JSON log line as one readable line: time, level, context and message', () => {
    const format = createLogFormatter('pretty', false);
    const out = format(`${line({ context: 'RouterExplorer', msg: 'Mapped {/v1/payments, GET} route' })}\n`);
    expect(out.split('\n').filter(Boolean)).toHaveLength(1);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[RouterExplorer\] Mapped \{\/v1\/payments, GET\} route\n$/);
    expect(out).not.toContain('"level"');
    const request = format(
      `${line({ level: 40, req: { method: 'POST', url: '/v1/probe' }, res: { statusCode: 400 }, msg: 'request completed' })}\n`,
    );
    expect(request.split('\n').filter(Boolean)).toHaveLength(1);
    expect(request).toMatch(/WARN: request completed .*"statusCode":400/);
  });

  it('passes other output through and holds a line split across chunks until it ends', () => {
    const format = createLogFormatter('pretty', false);
    expect(format('[12:00:00] File change detected. Starting incremental compilation...\n')).toBe(
      '[12:00:00] File change detected. Starting incremental compilation...\n',
    );
    expect(format('{not json\n')).toBe('{not json\n');
    const whole = line({ msg: 'split' });
    expect(format(whole.slice(0, 10))).toBe('');
    expect(format(`${whole.slice(10)}\n`)).toMatch(/INFO: split\n$/);
  });

  it('leaves JSON untouched when the format is json (piped, CI, production and tests never see pretty logs)', () => {
    const format = createLogFormatter('json');
    const text = `${line({ msg: 'x' })}\n${line({ msg: 'y' })}\n`;
    expect(format(text)).toBe(text);
  });
});
