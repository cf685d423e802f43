import { normalizeEmail } from './email';

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.TEST ')).toBe('ada.lovelace@example.test');
  });

  it('makes a composed and a decomposed "é" one address (Unicode NFC)', () => {
    const composed = 'ren\u00E9@example.test';
    const decomposed = 'rene\u0301@example.test';
    expect(composed).not.toBe(decomposed);
    expect(normalizeEmail(decomposed)).toBe(composed);
    expect(normalizeEmail(composed)).toBe(composed);
    expect(normalizeEmail('REN\u00C9@example.test')).toBe(composed);
    expect(normalizeEmail('RENE\u0301@EXAMPLE.TEST')).toBe(composed);
  });

  it('composes in the domain too', () => {
    expect(normalizeEmail('ada@cafe\u0301.example')).toBe('ada@caf\u00E9.example');
  });

  it.each(['ada@example.test', 'RENE\u0301@x.test', '\u212Bngstr\u00F6m@x.test', 'I\u0307stanbul@x.test'])(
    'is idempotent: %j',
    (email) => {
      const once = normalizeEmail(email);
      expect(normalizeEmail(once)).toBe(once);
      expect(once).toBe(once.normalize('NFC'));
    },
  );
});
