'use strict';

/**
 * The peer the gateway is compared with: what a team would otherwise write for the same
 * protected route. Express 5 + express-rate-limit backed by rate-limit-redis (one shared Redis,
 * counted per client IP, same limit and window as the gateway's global limit) + jsonwebtoken
 * (HS256 only, issuer and audience checked). Runs as its own process, like the gateway.
 *
 * Env: PORT, HOST, REDIS_URL, REDIS_KEY_PREFIX, JWT_ACCESS_SECRET, JWT_ISSUER, JWT_AUDIENCE,
 *      RATE_LIMIT_GLOBAL_LIMIT, RATE_LIMIT_GLOBAL_TTL_SECONDS,
 *      PEER_JWT_KEY_OBJECT=1: verify with a crypto KeyObject instead of the string secret. The
 *      default is the string, as jsonwebtoken's README shows it; jsonwebtoken 9 then tries to parse
 *      that string as a PEM public key on every call (and fails) before using it as an HMAC key,
 *      which costs about 0.5 ms of CPU per verification. The variant shows the peer without that.
 */
const { createSecretKey } = require('node:crypto');
const express = require('express');
const { rateLimit } = require('express-rate-limit');
const { RedisStore } = require('rate-limit-redis');
const Redis = require('ioredis');
const jwt = require('jsonwebtoken');

const env = process.env;
const redis = new Redis(env.REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
const secret =
  env.PEER_JWT_KEY_OBJECT === '1' ? createSecretKey(Buffer.from(env.JWT_ACCESS_SECRET, 'utf8')) : env.JWT_ACCESS_SECRET;
const verifyOptions = { algorithms: ['HS256'], issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE };

function problem(res, status, code, title) {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, code });
}

const limiter = rateLimit({
  windowMs: Number(env.RATE_LIMIT_GLOBAL_TTL_SECONDS) * 1000,
  limit: Number(env.RATE_LIMIT_GLOBAL_LIMIT),
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  store: new RedisStore({
    prefix: `${env.REDIS_KEY_PREFIX}peer:rl:`,
    sendCommand: (command, ...args) => redis.call(command, ...args),
  }),
  handler: (_req, res) => problem(res, 429, 'RATE_LIMITED', 'Too many requests'),
});

function requireBearer(req, res, next) {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer ([^\s]+)$/.exec(header);
  if (!match) return problem(res, 401, 'UNAUTHORIZED', 'Unauthorized');
  try {
    req.claims = jwt.verify(match[1], secret, verifyOptions);
    return next();
  } catch {
    return problem(res, 401, 'TOKEN_INVALID', 'Unauthorized');
  }
}

const app = express();
app.disable('x-powered-by');
app.get('/health/live', (_req, res) => res.json({ status: 'ok' }));
app.get('/v1/auth/me', limiter, requireBearer, (req, res) => {
  res.json({ id: req.claims.sub, email: req.claims.email ?? null, role: req.claims.role ?? null });
});

const server = app.listen(Number(env.PORT), env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => redis.quit().finally(() => process.exit(0)));
});
