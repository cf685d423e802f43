import { decodePaymentCursor, encodePaymentCursor } from './payment-cursor';

describe('payment cursor', () => {
  it('round-trips a position', () => {
    const cursor = { createdAt: new Date('2026-11-30T08:00:00.123Z'), id: '6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c1a00' };
    const encoded = encodePaymentCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePaymentCursor(encoded)).toEqual(cursor);
  });

  it.each([
    '',
    'abc',
    Buffer.from('123.not-a-uuid').toString('base64url'),
    Buffer.from('x.6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c1a00').toString('base64url'),
  ])('does not decode %p (the edge answers 400 naming cursor)', (value) => {
    expect(decodePaymentCursor(value)).toBeUndefined();
  });
});
