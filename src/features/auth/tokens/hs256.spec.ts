import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import * as jsonwebtoken from 'jsonwebtoken';
import { keyIdOf, SigningKeyRing } from '../../../platform/secrets/signing-key-ring';
import type { Env } from '../../../platform/config/environment';
import { AccessTokenService } from './access-token.service';
import { AccessTokenRejected, type Hs256Expectations, MAX_TOKEN_LENGTH, signHs256, verifyHs256 } from './hs256';
import { tokensConfig } from './tokens.config';

const secret = (): string => randomBytes(32).toString('base64url');
const expected = { issuer: 'test-issuer', audience: 'test-audience' };
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    role: 'user',
    sv: 0,
    iat: now,
    exp: now + 60,
    aud: expected.audience,
    iss: expected.issuer,
    sub: randomUUID(),
    jti: randomUUID(),
    ...overrides,
  };
}

/** A token with any header and payload, MACed with `key` (and `hash`). */
function handMade(header: unknown, payload: unknown, key: string, hash = 'sha256'): string {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac(hash, key).update(body).digest('base64url')}`;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The three parts of a compact token. */
function partsOf(token: string): [string, string, string] {
  const [h = '', p = '', s = ''] = token.split('.');
  return [h, p, s];
}

/** A part spelled by hand (not JSON-encoded), MACed with `key`. */
function withParts(header: string, payload: string, key: string): string {
  const body = `${header}.${payload}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

describe('HS256 compact JWS', () => {
  const current = secret();
  const previous = secret();
  const ring = new SigningKeyRing(current, [previous]);
  const kid = keyIdOf(current);
  const header = { alg: 'HS256', typ: 'JWT', kid };

  const refused = (token: string, options: Hs256Expectations = expected): void => {
    expect(() => verifyHs256(token, ring, options)).toThrow(AccessTokenRejected);
  };

  it('signs {alg: HS256, typ: JWT, kid} over the payload and verifies its own token', () => {
    const payload = claims();
    const token = signHs256(payload, ring.current);
    const decoded = jsonwebtoken.decode(token, { complete: true })!;
    expect(decoded.header).toEqual(header);
    expect(decoded.payload).toEqual(payload);
    expect(verifyHs256(token, ring, expected)).toEqual(payload);
  });

  it('accepts a hand-made token with the header spelled differently (parsed, not matched)', () => {
    const token = handMade({ kid, typ: 'JWT', alg: 'HS256' }, claims(), current);
    expect(verifyHs256(token, ring, expected)).toMatchObject({ role: 'user' });
    expect(verifyHs256(handMade({ alg: 'HS256' }, claims(), current), ring, expected)).toMatchObject({ role: 'user' });
  });

  describe('claims', () => {
    const now = Math.floor(Date.now() / 1000);

    it.each([
      ['exp in the past', { exp: now - 1 }],
      ['exp equal to now (now < exp is required)', { exp: now }],
      ['no exp', { exp: undefined }],
      ['exp that is not a number', { exp: String(now + 60) }],
      ['nbf in the future', { nbf: now + 30 }],
      ['nbf that is not a number', { nbf: String(now - 30) }],
      ['another issuer', { iss: 'someone-else' }],
      ['no issuer', { iss: undefined }],
      ['another audience', { aud: 'someone-else' }],
      ['an audience array without ours', { aud: ['someone-else', 'another'] }],
      ['no audience', { aud: undefined }],
    ])('refuses %s', (_name, overrides) => {
      refused(handMade(header, claims(overrides), current), { ...expected, now });
    });

    it('accepts nbf now or in the past and an audience array that contains ours', () => {
      const options = { ...expected, now };
      expect(verifyHs256(handMade(header, claims({ nbf: now }), current), ring, options)).toBeDefined();
      expect(verifyHs256(handMade(header, claims({ nbf: now - 5 }), current), ring, options)).toBeDefined();
      const aud = ['other', expected.audience];
      expect(verifyHs256(handMade(header, claims({ aud }), current), ring, options)).toMatchObject({ aud });
    });

    it('uses whole seconds: a token is valid up to the second before exp', () => {
      const token = handMade(header, claims({ exp: 2000, iat: 1000 }), current);
      expect(verifyHs256(token, ring, { ...expected, now: 1999 })).toMatchObject({ exp: 2000 });
      refused(token, { ...expected, now: 2000 });
    });
  });

  describe('header', () => {
    it.each([
      ['alg none with no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
      ['alg none with a MAC', handMade({ alg: 'none', typ: 'JWT', kid }, claims(), current)],
      ['alg HS512 over an HS256 MAC', handMade({ alg: 'HS512', typ: 'JWT', kid }, claims(), current)],
      ['alg HS512 over an HS512 MAC', handMade({ alg: 'HS512', typ: 'JWT', kid }, claims(), current, 'sha512')],
      ['alg RS256 with an HMAC by the secret', handMade({ alg: 'RS256', typ: 'JWT', kid }, claims(), current)],
      ['alg "hs256"', handMade({ alg: 'hs256', typ: 'JWT', kid }, claims(), current)],
      ['no alg', handMade({ typ: 'JWT', kid }, claims(), current)],
      ['typ other than JWT', handMade({ alg: 'HS256', typ: 'JWS', kid }, claims(), current)],
      ['a crit parameter', handMade({ alg: 'HS256', typ: 'JWT', kid, crit: ['exp'] }, claims(), current)],
      ['an empty crit list', handMade({ alg: 'HS256', typ: 'JWT', kid, crit: [] }, claims(), current)],
      [
        'a header that is not JSON',
        withParts(Buffer.from('{alg:HS256}').toString('base64url'), b64(claims()), current),
      ],
      ['a header that is a JSON string', handMade('HS256', claims(), current)],
      ['a header that is null', handMade(null, claims(), current)],
      ['a header that is an array', handMade([{ alg: 'HS256' }], claims(), current)],
    ])('refuses %s', (_name, token) => {
      refused(token);
    });
  });

  describe('shape', () => {
    const good = signHs256(claims(), ring.current);
    const [h, p, s] = partsOf(good);

    it.each([
      ['an extra part', `${good}.${s}`],
      ['an extra dot at the end', `${good}.`],
      ['two parts', `${h}.${p}`],
      ['one part', h],
      ['an empty signature', `${h}.${p}.`],
      ['an empty header', `.${p}.${s}`],
      ['an empty payload', `${h}..${s}`],
      ['padding on the signature', `${h}.${p}.${s}=`],
      ['padding on the payload', `${h}.${p}=.${s}`],
      ['base64 (not url) characters', `${h}.${p}.${s.slice(0, -2)}+/`],
      ['a character outside the alphabet', `${h}.${p.slice(0, -1)}*.${s}`],
      ['white space', `${h}.${p}.${s} `],
      ['a signature one character short (31 bytes and change)', `${h}.${p}.${s.slice(0, -1)}`],
      ['a signature of another length (HS512 size)', `${h}.${p}.${randomBytes(64).toString('base64url')}`],
      [
        'the same MAC spelled with stray bits in its last character',
        `${h}.${p}.${s.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(s.slice(-1)) | 1]}`,
      ],
      ['garbage', '...'],
      ['the empty string', ''],
    ])('refuses %s', (_name, token) => {
      refused(token);
    });

    it('refuses a token over the length bound before parsing it', () => {
      const long = signHs256(claims({ pad: 'x'.repeat(MAX_TOKEN_LENGTH) }), ring.current);
      expect(() => verifyHs256(long, ring, expected)).toThrow('token too long');
      expect(() => verifyHs256('a'.repeat(MAX_TOKEN_LENGTH + 1), ring, expected)).toThrow('token too long');
    });

    it.each([
      ['a JSON string', b64('just a string')],
      ['a JSON array', b64([claims()])],
      ['JSON null', b64(null)],
      ['a JSON number', b64(42)],
      ['not JSON', Buffer.from('{"exp":').toString('base64url')],
    ])('refuses a correctly signed payload that is %s', (_name, payload) => {
      expect(() => verifyHs256(withParts(h, payload, current), ring, expected)).toThrow('malformed payload');
    });
  });

  describe('keys', () => {
    it('refuses a token signed with a key outside the ring, whatever its kid says', () => {
      const stranger = secret();
      refused(handMade(header, claims(), stranger));
      refused(handMade({ alg: 'HS256', typ: 'JWT', kid: keyIdOf(stranger) }, claims(), stranger));
    });

    it('refuses a token whose signature was changed by one byte', () => {
      const [h, p, s] = partsOf(signHs256(claims(), ring.current));
      const mac = Buffer.from(s, 'base64url');
      mac.writeUInt8(mac.readUInt8(0) ^ 1, 0);
      refused(`${h}.${p}.${mac.toString('base64url')}`);
    });

    it('verifies a token of the previous key (rotation), with its kid, an unknown kid or none', () => {
      const old = new SigningKeyRing(previous);
      expect(verifyHs256(signHs256(claims(), old.current), ring, expected)).toMatchObject({ role: 'user' });
      for (const h of [{ alg: 'HS256', kid: 'ffffffffffffffff' }, { alg: 'HS256', kid }, { alg: 'HS256' }]) {
        expect(verifyHs256(handMade(h, claims(), previous), ring, expected)).toMatchObject({ role: 'user' });
      }
    });

    it('refuses an expired token of the previous key as expired (only a bad MAC tries another key)', () => {
      const expired = signHs256(claims({ iat: 1000, exp: 2000 }), new SigningKeyRing(previous).current);
      expect(() => verifyHs256(expired, ring, expected)).toThrow('jwt expired');
    });

    it('does not verify a token of the current key once that key has left the ring', () => {
      const without = new SigningKeyRing(previous);
      expect(() => verifyHs256(signHs256(claims(), ring.current), without, expected)).toThrow(AccessTokenRejected);
    });
  });

  describe('interchangeable with jsonwebtoken', () => {
    it('a jsonwebtoken-signed token verifies here, with the same payload', () => {
      const token = jsonwebtoken.sign({ role: 'admin', sv: 2 }, current, {
        algorithm: 'HS256',
        keyid: kid,
        subject: randomUUID(),
        issuer: expected.issuer,
        audience: expected.audience,
        jwtid: randomUUID(),
        expiresIn: 900,
      });
      expect(verifyHs256(token, ring, expected)).toEqual(jsonwebtoken.decode(token));
    });

    it('a token signed here verifies with jsonwebtoken, and has the bytes jsonwebtoken would write', () => {
      const payload = claims({ role: 'admin', sv: 2 });
      const token = signHs256(payload, ring.current);
      expect(
        jsonwebtoken.verify(token, current, {
          algorithms: ['HS256'],
          issuer: expected.issuer,
          audience: expected.audience,
        }),
      ).toEqual(payload);
      const { iat, exp, aud, iss, sub, jti, ...rest } = payload;
      const theirs = jsonwebtoken.sign({ ...rest, iat }, current, {
        algorithm: 'HS256',
        keyid: kid,
        expiresIn: (exp as number) - (iat as number),
        audience: aud as string,
        issuer: iss as string,
        subject: sub as string,
        jwtid: jti as string,
      });
      expect(token).toBe(theirs);
    });
  });

  describe('the access-token claims on top (AccessTokenService.verifyNow, synchronous)', () => {
    const service = new AccessTokenService(
      tokensConfig.select({
        JWT_ACCESS_SECRET: current,
        JWT_ACCESS_PREVIOUS_SECRETS: [previous],
        JWT_ACCESS_TTL_SECONDS: 900,
        JWT_ISSUER: expected.issuer,
        JWT_AUDIENCE: expected.audience,
      } as Env),
    );

    it('returns the claims of a valid token, sv 0 when absent', () => {
      expect(service.verifyNow(signHs256(claims({ sv: 4 }), ring.current))).toMatchObject({ sv: 4, role: 'user' });
      expect(service.verifyNow(signHs256(claims({ sv: undefined }), ring.current))).toMatchObject({ sv: 0 });
    });

    it.each([
      ['a sub that is not a UUID', { sub: 'admin' }],
      ['no sub', { sub: undefined }],
      ['a role that does not exist', { role: 'root' }],
      ['no role', { role: undefined }],
      ['a negative sv', { sv: -1 }],
      ['a fractional sv', { sv: 1.5 }],
      ['an sv that is a string', { sv: '2' }],
      ['no jti', { jti: undefined }],
      ['no iat', { iat: undefined }],
      ['an iat that is not a number', { iat: '1000' }],
    ])('refuses %s', (_name, overrides) => {
      expect(() => service.verifyNow(signHs256(claims(overrides), ring.current))).toThrow(AccessTokenRejected);
    });

    it('issues tokens that jsonwebtoken verifies with the same key, issuer and audience', async () => {
      const { token } = await service.issue({ id: randomUUID(), role: 'admin', sessionVersion: 1 });
      const verified = jsonwebtoken.verify(token, current, {
        algorithms: ['HS256'],
        issuer: expected.issuer,
        audience: expected.audience,
      }) as Record<string, unknown>;
      expect(verified).toMatchObject({ role: 'admin', sv: 1 });
      expect(verified.exp).toBe((verified.iat as number) + 900);
    });
  });
});
