import { IsString, validate } from 'class-validator';
import { CodePointLength, codePointCount, MaxCodePoints } from './code-points';

class Probe {
  @IsString()
  @MaxCodePoints(140)
  reference!: string;

  @IsString()
  @CodePointLength(12, 128)
  password!: string;
}

async function errorsFor(reference: string, password = 'correct horse battery'): Promise<string[]> {
  const probe = Object.assign(new Probe(), { reference, password });
  const errors = await validate(probe);
  return errors.flatMap((error) => Object.values(error.constraints ?? {}).map((m) => `${error.property}: ${m}`));
}

describe('CodePointLength', () => {
  it('counts code points as PostgreSQL does, not UTF-16 units or validator.js characters', () => {
    expect(codePointCount('a\uFE0F')).toBe(2);
    expect(codePointCount('😀')).toBe(1);
    expect(codePointCount('e\u0301')).toBe(2);
    expect(codePointCount('\uD800x')).toBe(2);
  });

  it('refuses 140 × "a\\uFE0F" (280 code points), which class-validator MaxLength(140) accepts', async () => {
    expect(await errorsFor('a\uFE0F'.repeat(140))).toEqual([
      'reference: reference must be shorter than or equal to 140 characters',
    ]);
    expect(await errorsFor('a\uFE0F'.repeat(70))).toEqual([]);
  });

  it('accepts 140 astral characters (280 UTF-16 units) and refuses 141', async () => {
    expect(await errorsFor('😀'.repeat(140))).toEqual([]);
    expect(await errorsFor('😀'.repeat(141))).toHaveLength(1);
  });

  it('applies the lower bound in code points', async () => {
    expect(await errorsFor('ok', '😀'.repeat(11))).toEqual([
      'password: password must be longer than or equal to 12 characters',
    ]);
    expect(await errorsFor('ok', '😀'.repeat(12))).toEqual([]);
  });

  it.each([
    ['NUL', 'abc\u0000def', 'must not contain NUL characters'],
    ['a lone high surrogate', 'abc\uD83D', 'must not contain unpaired surrogates (invalid UTF-16)'],
    ['a lone low surrogate', '\uDE00abc', 'must not contain unpaired surrogates (invalid UTF-16)'],
  ])('refuses %s, which PostgreSQL cannot store', async (_what, value, message) => {
    expect(await errorsFor(value)).toEqual([`reference: reference ${message}`]);
  });

  it('leaves a non-string to IsString', async () => {
    const errors = await validate(Object.assign(new Probe(), { reference: 5, password: 'correct horse battery' }));
    expect(errors.map((e) => Object.keys(e.constraints ?? {}))).toEqual([['isString']]);
  });
});
