import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness';

export type TargetAuth = 'none' | 'user' | 'admin';

/** One sqlmap target of security/dast/targets.json; a '*' marks each injection point. */
export interface SqlmapTarget {
  name: string;
  method: string;
  /** The request path, with {{placeholders}}. */
  path: string;
  /** The OpenAPI route it exercises (a target whose route is not in /docs-json is skipped). */
  route: string;
  auth: TargetAuth;
  headers?: Record<string, string>;
  data?: unknown;
}

export interface DastTargets {
  wapiti: {
    modules: string;
    excludedModules: string;
    startPaths: { path: string; auth: TargetAuth }[];
  };
  sqlmap: SqlmapTarget[];
}

export const TARGETS_FILE = join(ROOT, 'security/dast/targets.json');

export function loadTargets(file = TARGETS_FILE): DastTargets {
  return JSON.parse(readFileSync(file, 'utf8')) as DastTargets;
}

/** The Authorization header for a route's auth, or undefined when there is no token for it. */
export function authHeader(tokens: { token?: string; adminToken?: string }, auth: TargetAuth): string | undefined {
  if (auth === 'admin' && tokens.adminToken) return `Authorization: Bearer ${tokens.adminToken}`;
  if (auth === 'user' && tokens.token) return `Authorization: Bearer ${tokens.token}`;
  return undefined;
}
