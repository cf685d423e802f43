import { prettyFactory } from 'pino-pretty';

/**
 * How `npm run dev` shows the gateway's log. The gateway always writes JSON lines (production and
 * tests read them as data); in development, when the terminal is a person's, each JSON line is
 * shown as one human-readable line by pino-pretty, here in the dev command, so the server's own
 * output format never depends on where it runs. Piped or redirected (`npm run dev > file`, CI),
 * the JSON passes through unchanged.
 */
export type DevLogFormat = 'pretty' | 'json';

export function devLogFormat(stdout: { isTTY?: boolean }): DevLogFormat {
  return stdout.isTTY ? 'pretty' : 'json';
}

/**
 * A chunk-by-chunk formatter for a child's output: complete lines that are pino JSON come out as
 * one pretty line each; anything else (the Nest compiler in watch mode, a stack trace) unchanged.
 * A line split across chunks is held until its end arrives.
 */
export function createLogFormatter(format: DevLogFormat, colorize = format === 'pretty'): (chunk: string) => string {
  if (format === 'json') return (chunk) => chunk;
  const pretty = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
  let pending = '';
  return (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    return lines.map((line) => `${formatLine(line, pretty)}\n`).join('');
  };
}

function formatLine(line: string, pretty: (input: Record<string, unknown>) => string): string {
  if (!line.startsWith('{')) return line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof parsed !== 'object' || parsed === null || !('level' in parsed) || !('time' in parsed)) return line;
  return pretty(parsed as Record<string, unknown>).replace(/\n+$/, '');
}
