/**
 * The floor: the protected payment read (`GET /v1/payments/:id`) written on `node:http` with
 * nothing else, the least any server can do for the same work. Per request:
 *
 * - an HS256 check with `node:crypto` (the header's `alg` pinned to HS256, the signature compared
 *   in constant time, `exp`, `iss` and `aud` checked), with the gateway's key;
 * - one Redis script call (`EVALSHA`) counting a hit in a per-client fixed window (the gateway's
 *   global budget and window), 429 when it is exhausted;
 * - one parameterised `pg` lookup of the payment, scoped to the caller unless they are an admin
 *   (the gateway's table, the same columns);
 * - a small problem+json body for the 404 (the bench asks for an id that does not exist).
 *
 * No framework, no request id, no log line, no security headers, no metrics, no identity check
 * (the gateway also refuses a disabled user or a revoked session; the floor trusts the token).
 * Run by the bench like the peers (`node --import tsx bench/peers/floor.ts`).
 *
 * Env: PORT, HOST, REDIS_URL, REDIS_KEY_PREFIX, DATABASE_URL, DB_POOL_MAX, JWT_ACCESS_SECRET,
 *      JWT_ISSUER, JWT_AUDIENCE, RATE_LIMIT_GLOBAL_LIMIT, RATE_LIMIT_GLOBAL_TTL_SECONDS.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import Redis from 'ioredis';
import { Pool } from 'pg';

const env = process.env;
const redis = new Redis(env.REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
const pool = new Pool({ connectionString: env.DATABASE_URL, max: Number(env.DB_POOL_MAX || 10) });
const secret = Buffer.from(env.JWT_ACCESS_SECRET ?? '', 'utf8');
const issuer = env.JWT_ISSUER;
const audience = env.JWT_AUDIENCE;
const limit = Number(env.RATE_LIMIT_GLOBAL_LIMIT || 100);
const windowMs = Number(env.RATE_LIMIT_GLOBAL_TTL_SECONDS || 60) * 1000;
const prefix = `${env.REDIS_KEY_PREFIX ?? ''}floor:`;

const WINDOW = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return hits`;
redis.defineCommand('floorWindow', { numberOfKeys: 1, lua: WINDOW });
const countHit = (key: string): Promise<number> =>
  (redis as unknown as { floorWindow(key: string, ttl: number): Promise<number> }).floorWindow(key, windowMs);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAYMENT = /^\/v1\/payments\/([^/?]+)$/;
const SQL = `SELECT id, user_id, amount, currency, recipient_id, reference, status, provider_charge_id,
  idempotency_key, provider_key, reconcile_attempts, next_reconcile_at, failure_reason, created_at, updated_at
  FROM payments WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2::uuid)`;

interface Claims {
  sub: string;
  role?: string;
}

/** The verified claims, or undefined for anything but a valid, current HS256 token of this issuer. */
function verify(token: string): Claims | undefined {
  const [head, body, signature, ...rest] = token.split('.');
  if (head === undefined || body === undefined || signature === undefined || rest.length > 0) return undefined;
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string };
    if (header.alg !== 'HS256') return undefined;
    const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Claims & {
      exp?: number;
      iss?: string;
      aud?: string | string[];
    };
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return undefined;
    if (claims.iss !== issuer || !audiences.includes(audience) || typeof claims.sub !== 'string') return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const problem = (res: ServerResponse, status: number, code: string): void =>
  send(res, status, { status, code }, 'application/problem+json');

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url === '/health/live') return send(res, 200, { status: 'ok' });
  const match = req.method === 'GET' ? PAYMENT.exec(req.url ?? '') : null;
  if (!match) return problem(res, 404, 'NOT_FOUND');
  const hits = await countHit(`${prefix}${req.socket.remoteAddress ?? 'unknown'}`);
  if (hits > limit) return problem(res, 429, 'RATE_LIMITED');
  const header = req.headers.authorization;
  const claims = header?.startsWith('Bearer ') ? verify(header.slice(7)) : undefined;
  if (!claims) return problem(res, 401, 'TOKEN_INVALID');
  const id = match[1] ?? '';
  if (!UUID.test(id)) return problem(res, 400, 'VALIDATION_FAILED');
  const { rows } = await pool.query(SQL, [id, claims.role === 'admin' ? null : claims.sub]);
  if (rows.length === 0) return problem(res, 404, 'NOT_FOUND');
  send(res, 200, rows[0]);
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) problem(res, 500, 'INTERNAL');
  });
});
server.listen(Number(env.PORT), env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => void Promise.allSettled([redis.quit(), pool.end()]).finally(() => process.exit(0)));
  server.closeAllConnections();
});
