import { checkSignature, parseSignatureHeader, signatureHeader } from './webhook-signature';

const secret = 'whsec_current_0123456789abcdef0123';
const previous = 'whsec_previous_0123456789abcdef012';
const body = Buffer.from('{"id":"evt_1","type":"charge.updated"}');
const NOW = 1_800_000_000;

function check(header: string | undefined, nowSeconds = NOW, rawBody = body) {
  return checkSignature({ header, rawBody, secrets: [secret, previous], nowSeconds, toleranceSeconds: 300 });
}

describe('provider webhook signatures', () => {
  it('accepts a signature by the current or the previous secret, and any one valid v1 of several', () => {
    expect(check(signatureHeader([secret], NOW, body))).toBe('valid');
    expect(check(signatureHeader([previous], NOW, body))).toBe('valid');
    expect(check(signatureHeader(['whsec_unrelated_0123456789abcdef01', secret], NOW, body))).toBe('valid');
  });

  it('holds the tolerance exactly, in both directions', () => {
    for (const offset of [-300, 0, 300]) expect(check(signatureHeader([secret], NOW + offset, body))).toBe('valid');
    for (const offset of [-301, 301]) expect(check(signatureHeader([secret], NOW + offset, body))).toBe('stale');
  });

  it('judges a forgery as a bad signature whatever its timestamp', () => {
    const forged = signatureHeader(['whsec_attacker_0123456789abcdef012'], NOW - 10_000, body);
    expect(check(forged)).toBe('bad_signature');
    expect(check(signatureHeader([secret], NOW, body), NOW, Buffer.from(body.toString() + ' '))).toBe('bad_signature');
  });

  it('refuses headers that are absent, malformed, duplicated or oversized', () => {
    const v1 = signatureHeader([secret], NOW, body).split(',')[1];
    for (const header of [undefined, '', 'garbage', `v1=${'a'.repeat(64)}`, `t=${NOW}`, `t=${NOW},t=${NOW},${v1}`]) {
      expect(check(header)).toBe('bad_signature');
    }
    expect(parseSignatureHeader(`t=${NOW},${v1},${'x'.repeat(1100)}=1`)).toBeUndefined();
    expect(parseSignatureHeader(`t=${NOW},v1=zz`)).toBeUndefined();
  });
});
