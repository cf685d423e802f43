import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { isKnownPlaceholder, SECRET_VARIABLES } from '../secrets/secret-inventory';
import { Environment, type Env } from './environment.schema';
import { redisTopologyProblems } from './redis-topology';

export { Environment, type Env } from './environment.schema';

/** Thrown when the environment is unusable; its message names variables, never values. */
export class EnvironmentError extends Error {
  constructor(readonly problems: ReadonlyArray<{ variable: string; reason: string }>) {
    super('Refusing to start: invalid configuration. ' + problems.map((p) => `${p.variable}: ${p.reason}`).join('; '));
    this.name = 'EnvironmentError';
  }
}

const KNOWN = new Set(Object.keys(new Environment()));

function urlPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return undefined;
  }
}

/**
 * The loader: validates `source` (process.env in main.ts; an explicit object in tests) against
 * the schema (environment.schema.ts) once, and returns the typed, frozen configuration, or throws
 * an EnvironmentError whose message is the boot refusal. Module slices (config-slices.ts) are
 * views of its result; nothing reads process.env after this.
 * Empty strings count as absent, so `VAR=` cannot slip past a required check.
 */
export function loadEnvironment(source: NodeJS.ProcessEnv): Env {
  const raw: Record<string, string> = {};
  for (const key of KNOWN) {
    const value = source[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value;
  }
  for (const name of SECRET_VARIABLES.map((s) => s.name)) {
    const value = source[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value;
  }
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const problems: { variable: string; reason: string }[] = [];

  for (const error of validateSync(env, { forbidUnknownValues: true })) {
    const absent = raw[error.property] === undefined;
    problems.push({
      variable: error.property,
      // Constraint messages from class-validator quote the property name, never the value.
      reason: absent ? 'is required' : Object.values(error.constraints ?? {}).join(', '),
    });
  }

  for (const secret of SECRET_VARIABLES) {
    const values = secret.list
      ? ((env as unknown as Record<string, string[]>)[secret.name] ?? [])
      : [secret.url ? urlPassword(raw[secret.name]) : raw[secret.name]];
    const placeholder = values.some((v) => v !== undefined && v !== '' && isKnownPlaceholder(v));
    if (placeholder && !problems.some((p) => p.variable === secret.name)) {
      problems.push({
        variable: secret.name,
        reason: 'is a known placeholder or a low-entropy value; generate a random one',
      });
    }
  }

  if (env.NODE_ENV === 'production' && raw.REDIS_URL && !urlPassword(raw.REDIS_URL)) {
    problems.push({
      variable: 'REDIS_URL',
      reason: 'must carry credentials (redis://user:password@host) when NODE_ENV=production',
    });
  }
  for (const problem of redisTopologyProblems(env, raw)) {
    if (!problems.some((p) => p.variable === problem.variable)) problems.push(problem);
  }
  if (raw.JWT_ACCESS_SECRET && env.JWT_ACCESS_PREVIOUS_SECRETS.includes(raw.JWT_ACCESS_SECRET)) {
    problems.push({
      variable: 'JWT_ACCESS_PREVIOUS_SECRETS',
      reason: 'must not contain the current JWT_ACCESS_SECRET',
    });
  }

  if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
    problems.push({ variable: 'METRICS_PORT', reason: 'must differ from PORT (metrics are never on the public port)' });
  }

  if (env.PROBE_PORT !== undefined && env.PROBE_PORT !== 0) {
    if (env.PROBE_PORT === env.PORT) {
      problems.push({ variable: 'PROBE_PORT', reason: 'must differ from PORT (it is a listener of its own)' });
    } else if (env.PROBE_PORT === env.METRICS_PORT) {
      problems.push({ variable: 'PROBE_PORT', reason: 'must differ from METRICS_PORT' });
    }
  }

  if (problems.length > 0) {
    problems.sort((a, b) => a.variable.localeCompare(b.variable));
    throw new EnvironmentError(problems);
  }
  return Object.freeze(env);
}

export function docsEnabled(env: Env): boolean {
  return env.DOCS_ENABLED === undefined ? env.NODE_ENV !== 'production' : env.DOCS_ENABLED === 'true';
}
