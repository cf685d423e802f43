import { randomUUID } from 'node:crypto';
import { keyPrefix, runId as newRunId } from '../../tools/harness';
import { cleanUpOnSignals, runCleanups } from './cleanup';
import { createUser, login } from './gateway';
import type { GatewayEnv, RunGatewayEnv } from './context';
import { benchGatewayEnv } from './gateway-env';
import { cannon, type Run } from './load';
import { startHangingProvider } from './provider';
import { cleanRedisPrefixOnExit, freshDatabase, type Server } from './servers';

/**
 * Start-up shared by the single-route tools (`bench/ab.ts`, `bench/profile-route.ts`): the routes
 * they load, a fresh bench database, Redis prefix and stand-in provider (each removed at exit),
 * and a signed-in user's load of one route.
 */
export interface BenchRoute {
  path: () => string;
  status: number;
}

export const ROUTES: Record<string, BenchRoute> = {
  payment: { path: () => `/v1/payments/${randomUUID()}`, status: 404 },
  me: { path: () => '/v1/auth/me', status: 200 },
  live: { path: () => '/health/live', status: 200 },
};

export function benchRoute(name: string): BenchRoute {
  const route = ROUTES[name];
  if (!route) throw new Error(`--route must be one of ${Object.keys(ROUTES).join(', ')}`);
  return route;
}

export interface RouteBench {
  runId: string;
  databaseUrl: string;
  /** The gateway's variables for this run (database, Redis prefix, provider). */
  env: RunGatewayEnv;
}

/** A fresh bench database, Redis key prefix and hanging provider, all cleaned up on exit or signal. */
export async function prepareRouteBench(extra: GatewayEnv = {}): Promise<RouteBench> {
  cleanUpOnSignals();
  const runId = newRunId();
  const database = await freshDatabase(runId);
  const prefix = keyPrefix('gwbench', runId);
  cleanRedisPrefixOnExit(prefix);
  const provider = await startHangingProvider();
  const env = benchGatewayEnv({
    databaseUrl: database.url,
    prefix,
    providerUrl: provider.url,
    logLevel: 'info',
    extra,
  });
  return { runId, databaseUrl: database.url, env };
}

/**
 * Creates a user (`<label>-<run id>@bench.invalid`), logs it in on `gatewayUrl`, and answers the
 * load of one route as that user: `load(server, connections)(seconds)`, the server's CPU counted.
 */
export async function signedInRouteLoad(
  bench: RouteBench,
  gatewayUrl: string,
  label: string,
  route: BenchRoute,
): Promise<{ path: string; load: (server: Server, connections: number) => (duration: number) => Promise<Run> }> {
  const user = await createUser(bench.databaseUrl, { email: `${label}-${bench.runId}@bench.invalid` });
  const { accessToken } = await login(gatewayUrl, user);
  const path = route.path();
  const load = (server: Server, connections: number) => (duration: number) =>
    cannon(
      {
        url: server.url + path,
        headers: { authorization: `Bearer ${accessToken}` },
        connections,
        duration,
        expectedStatus: route.status,
      },
      { cpuPid: server.pid },
    );
  return { path, load };
}

/**
 * Runs a bench command's main: a failure sets the exit code and prints its stack; cleanups always
 * run, then the command exits (the stand-in provider's and the load's sockets would otherwise keep
 * it alive after its report).
 */
export function runBenchCommand(name: string, main: () => Promise<void>): void {
  main()
    .catch((error: unknown) => {
      process.exitCode = 1;
      process.stderr.write(`${name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    })
    .finally(() => void runCleanups().finally(() => process.exit()));
}
