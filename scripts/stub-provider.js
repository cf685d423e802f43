#!/usr/bin/env node
'use strict';
/**
 * A stand-in payment provider for scans and the gate: answers `POST /charges` with
 * `{id, status: 'succeeded'}` when the bearer key matches STUB_PROVIDER_API_KEY, and repeats the
 * first answer for a repeated Idempotency-Key (as the real provider promises). Listens on
 * 127.0.0.1:STUB_PROVIDER_PORT only.
 */
const { createServer } = require('node:http');
const { randomUUID, timingSafeEqual } = require('node:crypto');

const port = Number(process.env.STUB_PROVIDER_PORT);
const key = process.env.STUB_PROVIDER_API_KEY ?? '';
if (!Number.isInteger(port) || port <= 0 || key.length < 16) {
  process.stderr.write('stub-provider: STUB_PROVIDER_PORT and STUB_PROVIDER_API_KEY (16+ chars) are required\n');
  process.exit(2);
}

const byKey = new Map();

function authorized(header) {
  const expected = Buffer.from(`Bearer ${key}`);
  const given = Buffer.from(String(header ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

createServer((req, res) => {
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > 65536) req.destroy();
  });
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== '/charges') return send(res, 404, { error: 'not found' });
    if (!authorized(req.headers.authorization)) return send(res, 401, { error: 'unauthorized' });
    const idem = String(req.headers['idempotency-key'] ?? '');
    if (idem && byKey.has(idem)) return send(res, 200, byKey.get(idem));
    const charge = { id: `ch_${randomUUID()}`, status: 'succeeded' };
    if (idem) byKey.set(idem, charge);
    return send(res, 201, charge);
  });
}).listen(port, '127.0.0.1', () => process.stdout.write(`stub-provider listening on ${port}\n`));
