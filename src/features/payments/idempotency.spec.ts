import { canonicalRequest, requestHash } from './idempotency';

const base = { amount: 100, currency: 'EUR', recipientId: '6F1C2A9E-4B7D-4C1E-9A3F-2D5E8B7C1A00', reference: 'x' };

describe('request hash', () => {
  it('is the same for the same payment however it was spelled (absent/null reference, UUID case)', () => {
    const a = requestHash(canonicalRequest({ ...base, reference: undefined }));
    const b = requestHash(canonicalRequest({ ...base, reference: null, recipientId: base.recipientId.toLowerCase() }));
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when any charged field differs', () => {
    const hash = requestHash(canonicalRequest(base));
    for (const other of [
      { ...base, amount: 101 },
      { ...base, currency: 'USD' },
      { ...base, recipientId: '6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c1a01' },
      { ...base, reference: 'y' },
      { ...base, reference: null },
    ]) {
      expect(requestHash(canonicalRequest(other))).not.toBe(hash);
    }
  });
});
