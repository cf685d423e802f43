import { type BenchUser, loginMany, type TokenPair } from './gateway';
import { HttpConnection } from './http-connection';
import { closedLoop, type Run } from './load';

/**
 * One round of refresh chains: `concurrency` fresh families (logins, `loginParallel` at a time),
 * then `run(seconds)`, a closed loop in which each worker presents the refresh token its previous
 * answer returned. A worker whose refresh is refused stops (its family is spent); `failures` counts
 * them by status. Fresh families every round: a token in flight when a round stops is spent.
 * Each worker sends over a keep-alive connection of its own (`HttpConnection`), closed when its
 * run ends.
 */
export async function refreshChains({
  gatewayUrl,
  user,
  concurrency,
  cpuPid,
  failures,
  loginParallel = 4,
}: {
  gatewayUrl: string;
  user: BenchUser;
  concurrency: number;
  cpuPid?: number;
  failures: Record<string, number>;
  loginParallel?: number;
}): Promise<{ run: (seconds: number) => Promise<Run> }> {
  const path = '/v1/auth/refresh';
  const sessions = await loginMany(gatewayUrl, user, concurrency, loginParallel);
  const tokens: (string | undefined)[] = sessions.map((s) => s.refreshToken);
  const connections = tokens.map(() => HttpConnection.forUrl(gatewayUrl));
  const run = async (seconds: number): Promise<Run> => {
    try {
      return await closedLoop({
        concurrency,
        durationMs: seconds * 1000,
        ...(cpuPid !== undefined ? { cpuPid } : {}),
        task: async (worker) => {
          const token = tokens[worker];
          const connection = connections[worker];
          if (!token || !connection) return false;
          const { status, body } = await connection.post(path, JSON.stringify({ refreshToken: token }));
          const refreshToken = status === 200 ? refreshTokenOf(body) : undefined;
          if (refreshToken) {
            tokens[worker] = refreshToken;
            return true;
          }
          failures[String(status)] = (failures[String(status)] ?? 0) + 1;
          tokens[worker] = undefined;
          return false;
        },
      });
    } finally {
      for (const connection of connections) connection.close();
    }
  };
  return { run };
}

function refreshTokenOf(body: string): string | undefined {
  try {
    const { refreshToken } = JSON.parse(body) as Partial<TokenPair>;
    return typeof refreshToken === 'string' ? refreshToken : undefined;
  } catch {
    return undefined;
  }
}
