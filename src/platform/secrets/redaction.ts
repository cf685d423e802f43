import { configuredSecretValues } from './secret-inventory';

export const REDACTED = '[REDACTED]';

/** Field paths pino censors structurally, before serialisation. */
export const REDACTED_LOG_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...[
    'password',
    'newPassword',
    'passwordHash',
    'token',
    'accessToken',
    'refreshToken',
    'secret',
    'apiKey',
    'authorization',
  ].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

function escapeForJson(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

function escapeForRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Builds a function that masks every configured secret value wherever it appears in a serialised
 * log line (including JSON-escaped forms), as a last line of defence behind the structural paths.
 */
export function secretValueRedactor(env: Record<string, unknown>): (line: string) => string {
  const needles = new Set<string>();
  for (const value of configuredSecretValues(env)) {
    needles.add(value);
    needles.add(escapeForJson(value));
  }
  if (needles.size === 0) return (line) => line;
  const pattern = new RegExp(
    [...needles]
      .sort((a, b) => b.length - a.length)
      .map(escapeForRegExp)
      .join('|'),
    'g',
  );
  return (line) => line.replace(pattern, REDACTED);
}
