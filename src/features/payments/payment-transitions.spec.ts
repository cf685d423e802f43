import { transitionFor } from './payment-transitions';

const base = { amount: 100, currency: 'EUR', recipientId: 'r-1', providerChargeId: null as string | null };
const charge = (status: 'pending' | 'succeeded' | 'failed', extra: Record<string, unknown> = {}) => ({
  kind: 'charge' as const,
  chargeId: 'ch_1',
  status,
  echo: { amount: 100, currency: 'EUR', recipientId: 'r-1', ...extra },
});

describe('the payment transition rule', () => {
  it('lets unknown become anything the provider reports, pending only settle', () => {
    expect(transitionFor({ ...base, status: 'unknown' }, charge('pending'))).toMatchObject({
      kind: 'apply',
      status: 'pending',
    });
    expect(transitionFor({ ...base, status: 'pending', providerChargeId: 'ch_1' }, charge('succeeded'))).toMatchObject({
      kind: 'apply',
      status: 'succeeded',
    });
    expect(transitionFor({ ...base, status: 'pending', providerChargeId: 'ch_1' }, charge('pending'))).toEqual({
      kind: 'unchanged',
    });
  });

  it('never changes a terminal payment: same status or older pending news is ignored, anything else is a conflict', () => {
    const done = { ...base, status: 'succeeded' as const, providerChargeId: 'ch_1' };
    expect(transitionFor(done, charge('succeeded'))).toEqual({ kind: 'unchanged' });
    expect(transitionFor(done, charge('pending'))).toEqual({ kind: 'unchanged' });
    expect(transitionFor(done, charge('failed')).kind).toBe('conflict');
    expect(transitionFor(done, { kind: 'never-charged' }).kind).toBe('conflict');
  });

  it.each([{ amount: 101 }, { currency: 'USD' }, { recipientId: 'r-2' }])(
    'treats a charge naming %p as a conflict',
    (echo) => {
      expect(transitionFor({ ...base, status: 'unknown' }, charge('succeeded', echo)).kind).toBe('conflict');
    },
  );

  it('treats another charge id than the attached one as a conflict', () => {
    const pending = { ...base, status: 'pending' as const, providerChargeId: 'ch_other' };
    expect(transitionFor(pending, charge('succeeded')).kind).toBe('conflict');
  });

  it('settles unknown as failed with a reason on a refusal or a 404, and a pending 404 is a conflict', () => {
    expect(transitionFor({ ...base, status: 'unknown' }, { kind: 'refused' })).toMatchObject({
      kind: 'apply',
      status: 'failed',
      failureReason: 'refused',
    });
    expect(transitionFor({ ...base, status: 'unknown' }, { kind: 'never-charged' })).toMatchObject({
      kind: 'apply',
      status: 'failed',
      failureReason: 'never_charged',
    });
    expect(
      transitionFor({ ...base, status: 'pending', providerChargeId: 'ch_1' }, { kind: 'never-charged' }).kind,
    ).toBe('conflict');
  });
});
