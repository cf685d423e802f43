import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Role = 'user' | 'admin';

export interface InstanceUser {
  email: string;
  password: string;
  /** 'created', 'skipped: ...' or 'failed ...' (user:create). */
  created: string;
  accessToken?: string;
  refreshToken?: string;
  error?: string;
}

/**
 * DIR/state.json (mode 0600): everything needed to tear the instance down from another process
 * (process-group pids, database), and its secrets and test passwords (for the gate's log check).
 */
export interface InstanceState {
  id: string;
  dir: string;
  database: string;
  adminDatabaseUrl: string;
  /** Process-group leaders, stopped gateway first. */
  pids: { gateway?: number; provider?: number; redis?: number };
  redisDir?: string;
  /** The gateway's login role (member of gateway_runtime), dropped with the database. */
  runtimeRole?: string;
  /** The fresh database was migrated with `prisma migrate deploy`. */
  migrated: boolean;
  /** Set once the gateway was started. */
  url?: string;
  /** The gateway answered /health/ready with 200. */
  ready: boolean;
  secrets?: Record<string, string>;
  users?: Partial<Record<Role, InstanceUser>>;
}

export const stateFile = (dir: string): string => join(dir, 'state.json');

export function writeState(state: InstanceState): void {
  writeFileSync(stateFile(state.dir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

export function readState(dir: string): InstanceState {
  return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as InstanceState;
}

/** The KEY=value lines `start` prints (eval-able): where the instance is and the scan's tokens. */
export function instanceVariables(state: InstanceState): Record<string, string> {
  return {
    GW_INSTANCE_DIR: state.dir,
    SCAN_TARGET_URL: state.url ?? '',
    SCAN_BEARER_TOKEN: state.users?.user?.accessToken ?? '',
    SCAN_ADMIN_TOKEN: state.users?.admin?.accessToken ?? '',
    SCAN_REFRESH_TOKEN: state.users?.user?.refreshToken ?? '',
  };
}

/**
 * Every value that must never appear in the instance's log: its secrets (and the passwords inside
 * URL-shaped ones), the users' passwords and tokens. Values shorter than 8 characters are left out.
 */
export function secretValues(state: Pick<InstanceState, 'secrets' | 'users'>): string[] {
  const values = new Set<string>();
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
    for (const value of [user.password, user.accessToken, user.refreshToken]) if (value) values.add(value);
  }
  return [...values].filter((v) => v.length >= 8);
}
