import { randomBytes, randomUUID } from 'node:crypto';
import * as jsonwebtoken from 'jsonwebtoken';
import { keyIdOf } from '../../src/platform/secrets/signing-key-ring';
import type { TestApp } from '../helpers/app';
import { http } from '../helpers/app';
import { UsersService, type UserCreation } from '../../src/features/users/users.service';
import type { PublicUser } from '../../src/features/users/user-records';
import { refreshProblem } from '../../src/features/auth/auth-problems';
import type { IssuedRefreshToken, RefreshTokenService } from '../../src/features/auth/tokens/refresh-token.service';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: 'user' | 'admin';
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  refreshExpiresIn: number;
}

export function randomEmail(): string {
  return `${randomUUID()}@example.test`;
}

export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** A user created through UsersService (the same path as the admin route), with a random email. */
export async function createUser(gw: TestApp, role: 'user' | 'admin' = 'user'): Promise<TestUser> {
  const email = randomEmail();
  const password = randomPassword();
  const created = createdUser(await gw.app.get(UsersService).create({ email, password, role }));
  return { id: created.id, email, password, role };
}

/** The user a creation made; throws when it made none (a test's setup must not silently go on). */
export function createdUser(outcome: UserCreation): PublicUser {
  if (outcome.kind !== 'created') throw new Error(`the user was not created: ${outcome.kind}`);
  return outcome.user;
}

export async function login(gw: TestApp, user: { email: string; password: string }): Promise<TokenPair> {
  const res = await http<TokenPair>(gw.url, 'POST', '/v1/auth/login', {
    body: { email: user.email, password: user.password },
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return res.body;
}

/** A user and an access token from a real login. */
export type SignedInUser = TestUser & { token: string };

/** A new user (see createUser), signed in through POST /v1/auth/login. */
export async function createSignedInUser(gw: TestApp, role: 'user' | 'admin' = 'user'): Promise<SignedInUser> {
  const user = await createUser(gw, role);
  return { ...user, token: (await login(gw, user)).accessToken };
}

/** A problem body without the per-request parts, for comparing two answers. */
export function stableProblem(body: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...body };
  delete rest.requestId;
  delete rest.instance;
  return rest;
}

/**
 * RefreshTokenService.rotate as the refresh route experiences it: the successor, or the refusal
 * thrown as the problem the route answers (TOKEN_INVALID, TOKEN_REUSED).
 */
export async function rotateOrThrow(tokens: RefreshTokenService, token: string): Promise<IssuedRefreshToken> {
  const rotation = await tokens.rotate(token);
  if (rotation.kind === 'refused') throw refreshProblem(rotation);
  return rotation.token;
}

/**
 * An access token signed by hand, with the gateway's issuer, audience and current key id: the test
 * chooses the claims (role, iat, exp, ...) and the key, to forge or expire a token that differs
 * from a real one in that one respect.
 */
export function handSignedToken(
  gw: TestApp,
  subject: string,
  claims: Record<string, unknown>,
  key: string = gw.env.JWT_ACCESS_SECRET,
): string {
  return jsonwebtoken.sign(claims, key, {
    algorithm: 'HS256',
    keyid: keyIdOf(gw.env.JWT_ACCESS_SECRET),
    subject,
    issuer: gw.env.JWT_ISSUER,
    audience: gw.env.JWT_AUDIENCE,
    jwtid: randomUUID(),
  });
}
