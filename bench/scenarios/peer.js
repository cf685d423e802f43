'use strict';

const { join } = require('node:path');
const jwt = require('jsonwebtoken');
const { cannon, alternate } = require('../lib/load');
const { spawnServer } = require('../lib/processes');
const { round } = require('../lib/stats');

/**
 * 2. Peer comparison: the gateway's GET /v1/auth/me against the same semantics in a minimal
 * Express 5 app (express-rate-limit + rate-limit-redis on the same Redis, same limit and window;
 * jsonwebtoken HS256 with iss/aud checks), each in its own process, alternating. The gateway
 * also looks the user up in PostgreSQL on every request; the peer does not.
 */
module.exports = async function peer(ctx) {
  const { gateway, gatewayEnv, settings, log } = ctx;
  if (!ctx.session) return { status: 'skipped', reason: ctx.authMissing };
  const peerEnv = ctx.peerEnv();
  const express = await spawnServer({
    label: 'express peer',
    script: join(__dirname, '../peers/express-peer.js'),
    env: peerEnv,
    readyPath: '/health/live',
  });
  const expressKeyObject = await spawnServer({
    label: 'express peer (KeyObject)',
    script: join(__dirname, '../peers/express-peer.js'),
    env: { ...peerEnv, PEER_JWT_KEY_OBJECT: '1' },
    readyPath: '/health/live',
  });
  // The gateway's own access token is verified by the peer when it is a plain HS256 JWT with the
  // same secret, issuer and audience; otherwise the peer gets one minted the same way.
  let token = ctx.session.accessToken;
  let tokenSource = 'the gateway-issued access token';
  try {
    jwt.verify(token, gatewayEnv.JWT_ACCESS_SECRET, {
      algorithms: ['HS256'],
      issuer: gatewayEnv.JWT_ISSUER,
      audience: gatewayEnv.JWT_AUDIENCE,
    });
  } catch {
    const claims = jwt.decode(token) ?? {};
    token = jwt.sign({ sub: claims.sub ?? ctx.user.id, role: claims.role ?? 'user' }, gatewayEnv.JWT_ACCESS_SECRET, {
      algorithm: 'HS256',
      issuer: gatewayEnv.JWT_ISSUER,
      audience: gatewayEnv.JWT_AUDIENCE,
      expiresIn: 900,
    });
    tokenSource = 'a jsonwebtoken-minted token with the same claims';
  }
  ctx.peerToken = token;
  const run =
    (server, bearer) =>
    (duration = settings.duration) =>
      cannon(
        {
          url: `${server.url}/v1/auth/me`,
          headers: { authorization: `Bearer ${bearer}` },
          connections: settings.connections,
          duration,
        },
        { cpuPid: server.pid },
      );
  const { runs, medians } = await alternate(
    {
      gateway: run(gateway, ctx.session.accessToken),
      express: run(express, token),
      expressKeyObject: run(expressKeyObject, token),
    },
    { rounds: settings.rounds, log },
  );
  await express.stop();
  await expressKeyObject.stop();
  const ratio = round(medians.gateway.requestsPerSecond / medians.express.requestsPerSecond, 3);
  const ratioKeyObject = round(medians.gateway.requestsPerSecond / medians.expressKeyObject.requestsPerSecond, 3);
  return {
    status: 'ok',
    // ratio: against the peer as jsonwebtoken's README writes it (the target); ratioKeyObject:
    // against the same peer verifying with a KeyObject.
    figures: { ...medians, ratio, ratioKeyObject, peerToken: tokenSource, runs },
    target: { text: 'gateway req/s >= 1.5 x express peer', value: ratio, met: ratio >= 1.5 },
    valid: medians.gateway.non2xx === 0 && medians.express.non2xx === 0 && medians.expressKeyObject.non2xx === 0,
  };
};
