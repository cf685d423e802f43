'use strict';

const { randomBytes, randomUUID } = require('node:crypto');
const { Client } = require('pg');
const { hash, Algorithm } = require('@node-rs/argon2');

const randomSecret = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** True when `method path` is routed (anything but a 404 NOT_FOUND for an unknown route). */
async function routeExists(baseUrl, method, path) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : '{}',
  });
  await response.arrayBuffer();
  return response.status !== 404;
}

/** Inserts a user with an argon2id hash straight into the bench database; returns its password. */
async function createUser(databaseUrl, { email, role = 'user' }) {
  const password = randomSecret(18);
  const passwordHash = await hash(password, { algorithm: Algorithm.Argon2id });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `INSERT INTO users (id, email, password_hash, role, updated_at) VALUES ($1, $2, $3, $4, now()) RETURNING id`,
      [randomUUID(), email.trim().toLowerCase(), passwordHash, role],
    );
    return { id: rows[0].id, email, password };
  } finally {
    await db.end();
  }
}

async function postJson(url, body, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, text };
}

async function login(baseUrl, user) {
  const result = await postJson(`${baseUrl}/v1/auth/login`, { email: user.email, password: user.password });
  if (result.status !== 200) throw new Error(`login answered ${result.status}: ${result.text.slice(0, 300)}`);
  return result.body;
}

/** `count` logins with at most `parallel` in flight (password hashing is bounded on the server). */
async function loginMany(baseUrl, user, count, parallel = 4) {
  const sessions = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next += 1;
        sessions.push(await login(baseUrl, user));
      }
    }),
  );
  return sessions;
}

module.exports = { randomSecret, routeExists, createUser, postJson, login, loginMany };
