import { chargeMismatch } from './charge-match';

const payment = { amount: 1250, currency: 'EUR', recipientId: '6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c1a00' };

describe('chargeMismatch', () => {
  it('accepts an answer that echoes nothing, or echoes this payment (UUID case aside)', () => {
    expect(chargeMismatch(payment, {})).toBeUndefined();
    expect(
      chargeMismatch(payment, { amount: 1250, currency: 'EUR', recipientId: payment.recipientId.toUpperCase() }),
    ).toBeUndefined();
  });

  it.each([
    [{ amount: 99_999_999 }, 'amount'],
    [{ currency: 'USD' }, 'currency'],
    [{ recipientId: '6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c1a01' }, 'recipientId'],
  ])('names the contradicted field of %p', (echo, field) => {
    expect(chargeMismatch(payment, echo)).toBe(field);
  });
});
