import { InstanceState, secretValues } from '../instance/state';

export interface LogCheck {
  /** No secret, password or token of the instance appears in its log, raw or URL-encoded. */
  logClean: boolean;
  logLines: number;
  leakedCount: number;
  /** Requests the gateway answered with a 5xx. */
  serverErrors: number;
}

/** The scanned instance's whole log, after the scan: whatever the scanners sent, no secret may appear. */
export function checkInstanceLog(log: string, state: Pick<InstanceState, 'secrets' | 'users'>): LogCheck {
  const leaked = secretValues(state).filter((v) => log.includes(v) || log.includes(encodeURIComponent(v)));
  const lines = log.split('\n').filter(Boolean);
  return {
    logClean: leaked.length === 0,
    logLines: lines.length,
    leakedCount: leaked.length,
    serverErrors: lines.filter((line) => /"statusCode":5\d\d/.test(line)).length,
  };
}
