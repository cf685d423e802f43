import { randomUUID } from 'node:crypto';
import { Algorithm, hash } from '@node-rs/argon2';
import { randomToken, withClient } from '../../tools/harness';

export interface BenchUser {
  id: string;
  email: string;
  password: string;
}

/** What POST /v1/auth/login and /refresh answer. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface JsonAnswer<Body = unknown> {
  status: number;
  body: Body | undefined;
  text: string;
}

/** The fields of a problem+json answer the bench looks at. */
export interface ProblemBody {
  code?: string;
}

/** True when `method path` is routed (anything but a 404 NOT_FOUND for an unknown route). */
export async function routeExists(baseUrl: string, method: string, path: string): Promise<boolean> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : '{}',
  });
  await response.arrayBuffer();
  return response.status !== 404;
}

/** Inserts a user with an argon2id hash straight into the bench database; returns its password. */
export async function createUser(
  databaseUrl: string,
  { email, role = 'user' }: { email: string; role?: 'user' | 'admin' },
): Promise<BenchUser> {
  const password = randomToken(18);
  const passwordHash = await hash(password, { algorithm: Algorithm.Argon2id });
  const id = await withClient(databaseUrl, async (db) => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO users (id, email, password_hash, role, updated_at) VALUES ($1, $2, $3, $4, now()) RETURNING id`,
      [randomUUID(), email.trim().toLowerCase(), passwordHash, role],
    );
    const [row] = rows;
    if (!row) throw new Error('creating the bench user returned no row');
    return row.id;
  });
  return { id, email, password };
}

export async function postJson<Body = ProblemBody>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer<Body>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: Body | undefined;
  try {
    json = text ? (JSON.parse(text) as Body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, text };
}

export async function login(baseUrl: string, user: BenchUser): Promise<TokenPair> {
  const result = await postJson<TokenPair>(`${baseUrl}/v1/auth/login`, { email: user.email, password: user.password });
  if (result.status !== 200 || !result.body) {
    throw new Error(`login answered ${result.status}: ${result.text.slice(0, 300)}`);
  }
  return result.body;
}

/** `count` logins with at most `parallel` in flight (password hashing is bounded on the server). */
export async function loginMany(baseUrl: string, user: BenchUser, count: number, parallel = 4): Promise<TokenPair[]> {
  const sessions: TokenPair[] = [];
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
