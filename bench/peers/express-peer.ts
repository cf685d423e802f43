/**
 * The peers the gateway is compared with: what a team would otherwise write for the same
 * protected reads, in Express 5 + express-rate-limit backed by rate-limit-redis (one shared
 * Redis, counted per client IP, the same named limits, windows and budgets as the gateway) +
 * jsonwebtoken (HS256 only, issuer and audience checked) + pg. Runs as its own process, like the
 * gateway (`node --import tsx bench/peers/express-peer.ts`: tsx compiles this file once at load;
 * requests run plain JavaScript). Two modes (PEER_MODE):
 *
 * - `fair` (the peer the target is about): jsonwebtoken verifies with a crypto KeyObject built once;
 *   `GET /v1/auth/me` reads the user row from PostgreSQL (the answer carries the email, which the
 *   token does not) and refuses a disabled user; `GET /v1/payments/:id` reads the payment of the
 *   caller from PostgreSQL (404 when there is none), as the gateway does.
 * - `naive`: jsonwebtoken as its README writes it, with the secret as a string (jsonwebtoken 9 then
 *   tries to parse that string as a PEM public key on every call, and fails, before using it as an
 *   HMAC key: about 0.5 ms of CPU per verification), and `/v1/auth/me` answered from the token's
 *   claims without reading the user. Kept as a second, labelled row: the comparison it gives flatters
 *   the gateway.
 *
 * Env: PORT, HOST, REDIS_URL, REDIS_KEY_PREFIX, DATABASE_URL, DB_POOL_MAX, JWT_ACCESS_SECRET,
 *      JWT_ISSUER, JWT_AUDIENCE, RATE_LIMIT_GLOBAL_LIMIT, RATE_LIMIT_GLOBAL_TTL_SECONDS,
 *      RATE_LIMIT_AUTH_LIMIT, RATE_LIMIT_AUTH_TTL_SECONDS, PEER_MODE (fair | naive),
 *      PEER_ME_LIMITS (the named limits the gateway applies to /v1/auth/me, e.g. `global,auth`).
 */
import { createSecretKey, KeyObject } from 'node:crypto';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import Redis from 'ioredis';
import jwt, { JwtPayload } from 'jsonwebtoken';
import { Pool } from 'pg';
import { RedisReply, RedisStore } from 'rate-limit-redis';

const env = process.env;
const fair = env.PEER_MODE !== 'naive';
const redis = new Redis(env.REDIS_URL ?? '', { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
const pool = new Pool({ connectionString: env.DATABASE_URL, max: Number(env.DB_POOL_MAX || 10) });
const secret: KeyObject | string = fair
  ? createSecretKey(Buffer.from(env.JWT_ACCESS_SECRET ?? '', 'utf8'))
  : (env.JWT_ACCESS_SECRET ?? '');
const verifyOptions: jwt.VerifyOptions & { complete?: false } = {
  algorithms: ['HS256'],
  issuer: env.JWT_ISSUER,
  audience: env.JWT_AUDIENCE,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Claims extends JwtPayload {
  email?: string;
  role?: string;
}

/** The verified claims of the request (set by requireBearer). */
const claimsOf = (res: Response): Claims => res.locals.claims as Claims;

function problem(res: Response, status: number, code: string, title: string): void {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, code });
}

function limiter(name: string, limit: string | undefined, ttlSeconds: string | undefined): RequestHandler {
  return rateLimit({
    windowMs: Number(ttlSeconds) * 1000,
    limit: Number(limit),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: name,
    store: new RedisStore({
      prefix: `${env.REDIS_KEY_PREFIX}peer:${env.PEER_MODE || 'fair'}:${name}:`,
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
    }),
    handler: (_req, res) => problem(res, 429, 'RATE_LIMITED', 'Too many requests'),
  });
}
const limiters: Record<'global' | 'auth', RequestHandler> = {
  global: limiter('global', env.RATE_LIMIT_GLOBAL_LIMIT, env.RATE_LIMIT_GLOBAL_TTL_SECONDS),
  auth: limiter('auth', env.RATE_LIMIT_AUTH_LIMIT, env.RATE_LIMIT_AUTH_TTL_SECONDS),
};
const meLimits = (env.PEER_ME_LIMITS || 'global,auth')
  .split(',')
  .filter((name): name is keyof typeof limiters => Object.hasOwn(limiters, name))
  .map((name) => limiters[name]);

function requireBearer(req: Request, res: Response, next: NextFunction): void {
  const header = req.get('authorization') ?? '';
  const token = /^Bearer ([^\s]+)$/i.exec(header)?.[1];
  if (token === undefined) return problem(res, 401, 'UNAUTHORIZED', 'Unauthorized');
  try {
    res.locals.claims = jwt.verify(token, secret, verifyOptions);
    return next();
  } catch {
    return problem(res, 401, 'TOKEN_INVALID', 'Unauthorized');
  }
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/health/live', (_req, res) => {
  res.json({ status: 'ok' });
});

app.get('/v1/auth/me', ...meLimits, requireBearer, async (_req: Request, res: Response, next: NextFunction) => {
  const claims = claimsOf(res);
  if (!fair) {
    res.json({ id: claims.sub, email: claims.email ?? null, role: claims.role ?? null });
    return;
  }
  try {
    const { rows } = await pool.query<{ id: string; email: string; role: string; disabled: boolean }>(
      'SELECT id, email, role, disabled FROM users WHERE id = $1',
      [claims.sub],
    );
    const user = rows[0];
    if (!user || user.disabled) return problem(res, 401, 'TOKEN_INVALID', 'Unauthorized');
    res.json({ id: user.id, email: user.email, role: user.role });
  } catch (error) {
    next(error);
  }
});

app.get('/v1/payments/:id', limiters.global, requireBearer, async (req: Request, res: Response, next: NextFunction) => {
  const id = String(req.params.id);
  if (!UUID.test(id)) return problem(res, 400, 'VALIDATION_FAILED', 'Bad Request');
  try {
    const claims = claimsOf(res);
    const admin = claims.role === 'admin';
    const { rows } = await pool.query(
      admin
        ? 'SELECT id, amount, currency, status, created_at FROM payments WHERE id = $1'
        : 'SELECT id, amount, currency, status, created_at FROM payments WHERE id = $1 AND user_id = $2',
      admin ? [id] : [id, claims.sub],
    );
    if (rows.length === 0) return problem(res, 404, 'NOT_FOUND', 'Not Found');
    res.json(rows[0]);
  } catch (error) {
    next(error);
  }
});

app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) =>
  problem(res, 500, 'INTERNAL', 'Internal Server Error'),
);

const server = app.listen(Number(env.PORT), env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => void Promise.allSettled([redis.quit(), pool.end()]).finally(() => process.exit(0)));
});
