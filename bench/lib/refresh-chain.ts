import http from 'node:http';
import { type BenchUser, loginMany, type TokenPair } from './gateway';
import { closedLoop, type Run } from './load';

/** POST JSON over a keep-alive agent; resolves {status, body}. */
export function postOver(
  agent: http.Agent,
  url: string,
  payload: unknown,
): Promise<{ status: number | undefined; body: Partial<TokenPair> | undefined }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(payload);
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Partial<TokenPair> | undefined;
          try {
            json = JSON.parse(text) as Partial<TokenPair>;
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode, body: json });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * One round of refresh chains: `concurrency` fresh families (logins, `loginParallel` at a time),
 * then `run(seconds)`, a closed loop in which each worker presents the refresh token its previous
 * answer returned. A worker whose refresh is refused stops (its family is spent); `failures` counts
 * them by status. Fresh families every round: a token in flight when a round stops is spent.
 */
export async function refreshChains({
  gatewayUrl,
  user,
  agent,
  concurrency,
  cpuPid,
  failures,
  loginParallel = 4,
}: {
  gatewayUrl: string;
  user: BenchUser;
  agent: http.Agent;
  concurrency: number;
  cpuPid?: number;
  failures: Record<string, number>;
  loginParallel?: number;
}): Promise<{ run: (seconds: number) => Promise<Run> }> {
  const refreshUrl = `${gatewayUrl}/v1/auth/refresh`;
  const sessions = await loginMany(gatewayUrl, user, concurrency, loginParallel);
  const tokens: (string | undefined)[] = sessions.map((s) => s.refreshToken);
  const run = (seconds: number): Promise<Run> =>
    closedLoop({
      concurrency,
      durationMs: seconds * 1000,
      ...(cpuPid !== undefined ? { cpuPid } : {}),
      task: async (worker) => {
        if (!tokens[worker]) return false;
        const { status, body } = await postOver(agent, refreshUrl, { refreshToken: tokens[worker] });
        if (status === 200 && body?.refreshToken) {
          tokens[worker] = body.refreshToken;
          return true;
        }
        failures[String(status)] = (failures[String(status)] ?? 0) + 1;
        tokens[worker] = undefined;
        return false;
      },
    });
  return { run };
}
