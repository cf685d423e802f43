import { ProblemException } from '../../platform/problems';
import { requireIdempotencyKey } from './idempotency-key.decorator';

describe('requireIdempotencyKey', () => {
  it.each(['abcdefgh', 'A'.repeat(64), 'order_2026-11-28_0001'])('accepts %s', (key) => {
    expect(requireIdempotencyKey(key)).toBe(key);
  });

  it.each([undefined, '', 'abcdefg', 'a'.repeat(65), 'has space1', 'semi;colon', ['abcdefgh', 'abcdefgh']])(
    'refuses %p with a 400 naming the header',
    (value) => {
      let error: unknown;
      try {
        requireIdempotencyKey(value);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProblemException);
      expect((error as ProblemException).extras.errors).toEqual([
        expect.objectContaining({ field: 'Idempotency-Key' }),
      ]);
    },
  );
});
