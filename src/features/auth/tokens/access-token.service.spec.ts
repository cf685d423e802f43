import { createHmac } from 'node:crypto';
import { randomUUID, randomBytes } from 'node:crypto';
import * as jsonwebtoken from 'jsonwebtoken';
import type { Env } from '../../../platform/config/environment';
import { keyIdOf } from '../../../platform/secrets/signing-key-ring';
import { AccessTokenRejected, AccessTokenService } from './access-token.service';
import { tokensConfig } from './tokens.config';

const serviceFor = (env: Env): AccessTokenService => new AccessTokenService(tokensConfig.select(env));

const secret = (): string => randomBytes(32).toString('base64url');

function envWith(overrides: Partial<Env> = {}): Env {
  return {
    JWT_ACCESS_SECRET: secret(),
    JWT_ACCESS_PREVIOUS_SECRETS: [],
    JWT_ACCESS_TTL_SECONDS: 900,
    JWT_ISSUER: 'test-issuer',
    JWT_AUDIENCE: 'test-audience',
    ...overrides,
  } as Env;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function handSigned(header: Record<string, unknown>, payload: Record<string, unknown>, key: string): string {
  const body = `${b64(header)}.${b64(payload)}`;
  const signature = createHmac(header.alg === 'HS512' ? 'sha512' : 'sha256', key)
    .update(body)
    .digest('base64url');
  return `${body}.${signature}`;
}

function claims(env: Env, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: randomUUID(),
    role: 'user',
    jti: randomUUID(),
    iat: now,
    exp: now + 60,
    iss: env.JWT_ISSUER,
    aud: env.JWT_AUDIENCE,
    ...overrides,
  };
}

describe('AccessTokenService', () => {
  const env = envWith();
  const service = serviceFor(env);

  it('issues HS256 tokens with sub, role, sv, iat, exp, iss, aud, jti and a kid derived from the key', async () => {
    const id = randomUUID();
    const { token, expiresIn } = await service.issue({ id, role: 'admin', sessionVersion: 3 });
    const decoded = jsonwebtoken.decode(token, { complete: true })!;
    expect(decoded.header).toEqual({ alg: 'HS256', typ: 'JWT', kid: keyIdOf(env.JWT_ACCESS_SECRET) });
    expect(decoded.header.kid).toMatch(/^[0-9a-f]{16}$/);
    const payload = decoded.payload as Record<string, unknown>;
    expect(payload).toEqual({
      sub: id,
      role: 'admin',
      sv: 3,
      iat: expect.any(Number),
      exp: (payload.iat as number) + 900,
      iss: env.JWT_ISSUER,
      aud: env.JWT_AUDIENCE,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(expiresIn).toBe(900);
    await expect(service.verify(token)).resolves.toMatchObject({ sub: id, role: 'admin', sv: 3 });
  });

  it('reads a token without sv (issued before session versions) as sv 0, and refuses a malformed sv', async () => {
    const sign = (extra: Record<string, unknown>): string =>
      jsonwebtoken.sign({ role: 'user', ...extra }, env.JWT_ACCESS_SECRET, {
        algorithm: 'HS256',
        keyid: keyIdOf(env.JWT_ACCESS_SECRET),
        subject: randomUUID(),
        issuer: env.JWT_ISSUER,
        audience: env.JWT_AUDIENCE,
        jwtid: randomUUID(),
        expiresIn: 60,
      });
    await expect(service.verify(sign({}))).resolves.toMatchObject({ sv: 0 });
    for (const sv of [-1, 1.5, '2', null]) {
      await expect(service.verify(sign({ sv }))).rejects.toBeInstanceOf(AccessTokenRejected);
    }
  });

  it('rejects an unsigned token (alg: none)', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(env))}.`;
    await expect(service.verify(token)).rejects.toBeInstanceOf(AccessTokenRejected);
  });

  it('rejects alg: none even with a signature part and the right kid', async () => {
    const token = `${b64({ alg: 'none', kid: keyIdOf(env.JWT_ACCESS_SECRET) })}.${b64(claims(env))}.c2ln`;
    await expect(service.verify(token)).rejects.toBeInstanceOf(AccessTokenRejected);
  });

  it('rejects a token signed with another key', async () => {
    const token = handSigned({ alg: 'HS256', typ: 'JWT' }, claims(env), secret());
    await expect(service.verify(token)).rejects.toBeInstanceOf(AccessTokenRejected);
  });

  it('rejects a token signed with the right key under HS512 (no algorithm switching)', async () => {
    const token = handSigned({ alg: 'HS512', typ: 'JWT' }, claims(env), env.JWT_ACCESS_SECRET);
    await expect(service.verify(token)).rejects.toBeInstanceOf(AccessTokenRejected);
  });

  it('rejects an RS256 header carrying an HMAC made with the secret (key confusion)', async () => {
    const body = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims(env))}`;
    const token = `${body}.${createHmac('sha256', env.JWT_ACCESS_SECRET).update(body).digest('base64url')}`;
    await expect(service.verify(token)).rejects.toBeInstanceOf(AccessTokenRejected);
  });

  it.each([
    ['a wrong audience', { aud: 'someone-else' }],
    ['a wrong issuer', { iss: 'someone-else' }],
    ['an expired token', { iat: 1000, exp: 2000 }],
    ['a role that does not exist', { role: 'root' }],
    ['a subject that is not a UUID', { sub: 'admin' }],
    ['no jti', { jti: undefined }],
  ])('rejects %s', async (_name, overrides) => {
    const token = handSigned({ alg: 'HS256', typ: 'JWT' }, claims(env, overrides), env.JWT_ACCESS_SECRET);
    await expect(service.verify(token)).rejects.toBeInstanceOf(AccessTokenRejected);
  });

  it('accepts a correctly hand-signed token (the forgeries above fail for their flaw alone)', async () => {
    const token = handSigned({ alg: 'HS256', typ: 'JWT' }, claims(env), env.JWT_ACCESS_SECRET);
    await expect(service.verify(token)).resolves.toMatchObject({ role: 'user' });
  });

  it('verifies tokens signed with a previous key, and signs only with the current one [gate:1.5.4]', async () => {
    const old = envWith();
    const oldToken = (await serviceFor(old).issue({ id: randomUUID(), role: 'user', sessionVersion: 0 })).token;
    const rotated = serviceFor(
      envWith({ JWT_ACCESS_PREVIOUS_SECRETS: [old.JWT_ACCESS_SECRET], JWT_ISSUER: old.JWT_ISSUER }),
    );
    await expect(rotated.verify(oldToken)).resolves.toMatchObject({ role: 'user' });
    const fresh = (await rotated.issue({ id: randomUUID(), role: 'user', sessionVersion: 0 })).token;
    expect(jsonwebtoken.decode(fresh, { complete: true })!.header.kid).not.toBe(keyIdOf(old.JWT_ACCESS_SECRET));
    // The old key alone does not verify a token of the new key.
    await expect(serviceFor(old).verify(fresh)).rejects.toBeInstanceOf(AccessTokenRejected);
  });

  it('verifies a previous-key token whose kid is missing or wrong (the kid is only a hint)', async () => {
    const old = envWith();
    const rotated = serviceFor(envWith({ JWT_ACCESS_PREVIOUS_SECRETS: [old.JWT_ACCESS_SECRET] }));
    const token = handSigned({ alg: 'HS256', kid: 'ffffffffffffffff' }, claims(env), old.JWT_ACCESS_SECRET);
    await expect(rotated.verify(token)).resolves.toMatchObject({ role: 'user' });
  });

  describe('remembering verified tokens', () => {
    afterEach(() => jest.restoreAllMocks());

    it('answers the same text again from memory: the claims object it verified before', async () => {
      const fresh = serviceFor(env);
      const { token } = await fresh.issue({ id: randomUUID(), role: 'user', sessionVersion: 2 });
      const first = fresh.verifyNow(token);
      expect(Object.isFrozen(first)).toBe(true);
      expect(fresh.verifyNow(token)).toBe(first);
      // Another service (another instance) verifies it on its own.
      expect(serviceFor(env).verifyNow(token)).not.toBe(first);
    });

    it('still refuses a remembered token once it has expired, and every variant of it', () => {
      const fresh = serviceFor(env);
      const now = Math.floor(Date.now() / 1000);
      const token = handSigned({ alg: 'HS256', typ: 'JWT' }, claims(env, { exp: now + 5 }), env.JWT_ACCESS_SECRET);
      expect(fresh.verifyNow(token)).toMatchObject({ role: 'user' });
      const last = token.at(-2) === 'A' ? 'B' : 'A';
      for (const variant of [
        `${token.slice(0, -2)}${last}${token.at(-1)}`,
        `${token} `,
        token.toUpperCase(),
        token.slice(0, -1),
      ]) {
        expect(() => fresh.verifyNow(variant)).toThrow(AccessTokenRejected);
      }
      expect(fresh.verifyNow(token)).toMatchObject({ role: 'user' });
      jest.spyOn(Date, 'now').mockReturnValue((now + 5) * 1000);
      expect(() => fresh.verifyNow(token)).toThrow('jwt expired');
      jest.spyOn(Date, 'now').mockReturnValue(now * 1000);
      // Dropped on expiry, checked in full again: still a valid signature at that clock.
      expect(fresh.verifyNow(token)).toMatchObject({ role: 'user' });
    });

    it('never remembers a token that fails the check', () => {
      const fresh = serviceFor(env);
      const token = handSigned({ alg: 'HS256', typ: 'JWT' }, claims(env, { aud: 'elsewhere' }), env.JWT_ACCESS_SECRET);
      for (let i = 0; i < 3; i++) expect(() => fresh.verifyNow(token)).toThrow('jwt audience invalid');
    });
  });

  it('rejects an oversized token without parsing it', async () => {
    await expect(service.verify('a'.repeat(5000))).rejects.toBeInstanceOf(AccessTokenRejected);
  });

  it.each([
    [
      'a typ JWT header over a payload that is not JSON',
      `${b64({ alg: 'HS256', typ: 'JWT' })}.${Buffer.from('notjson').toString('base64url')}.x`,
    ],
    ['a header that is not JSON', `${Buffer.from('{{{').toString('base64url')}.${b64({})}.x`],
    ['a payload that is a JSON string', `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64('just a string')}.x`],
    ['two segments', `${b64({ alg: 'HS256' })}.${b64({})}`],
    ['garbage', '...'],
  ])('rejects %s as a malformed token (never an unexpected error)', async (_name, token) => {
    await expect(service.verify(token)).rejects.toBeInstanceOf(AccessTokenRejected);
  });
});
