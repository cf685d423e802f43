import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ProblemException } from '../problems';
import { canonicalUuid, CanonicalUuidPipe, UuidField } from './uuid';

const LOWER = '3f2b8c1e-9a4d-4e7f-8b6a-0c5d2e1f9a7b';
const UPPER = LOWER.toUpperCase();

/** Spellings that are not a UUID as this API accepts it, though some libraries would take them. */
const LOOK_ALIKES: [string, unknown][] = [
  ['braces', `{${LOWER}}`],
  ['a urn:uuid: prefix', `urn:uuid:${LOWER}`],
  ['a leading space', ` ${LOWER}`],
  ['a trailing newline', `${LOWER}\n`],
  ['a trailing NUL', `${LOWER}\u0000`],
  ['no hyphens', LOWER.replace(/-/g, '')],
  ['fullwidth letters (ｆ, Ｆ)', LOWER.replace('f', '\uFF46').replace('b', '\uFF22')],
  ['Arabic-Indic digits', LOWER.replace('3', '\u0663')],
  ['fullwidth digits', LOWER.replace('1', '\uFF11')],
  ['a non-breaking hyphen', LOWER.replace('-', '\u2011')],
  ['a Kelvin sign folded by a case-insensitive match', LOWER.replace('b', '\u212A')],
  ['one digit too many', `${LOWER}0`],
  ['a number', 42],
  ['an array', [LOWER]],
];

describe('canonicalUuid', () => {
  it('lower-cases a UUID in either case: one spelling per id', () => {
    expect(canonicalUuid(UPPER)).toBe(LOWER);
    expect(canonicalUuid(LOWER)).toBe(LOWER);
    expect(canonicalUuid('3F2B8C1E-9a4d-4E7F-8b6a-0C5D2E1F9A7B')).toBe(LOWER);
  });

  it.each(LOOK_ALIKES)('refuses %s', (_what, value) => {
    expect(canonicalUuid(value)).toBeUndefined();
  });
});

describe('CanonicalUuidPipe', () => {
  const pipe = new CanonicalUuidPipe('id');

  it('passes the canonical form on', () => {
    expect(pipe.transform(UPPER)).toBe(LOWER);
  });

  it.each(LOOK_ALIKES)('refuses %s with 400 VALIDATION_FAILED naming the field', (_what, value) => {
    let thrown: unknown;
    try {
      pipe.transform(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProblemException);
    const problem = thrown as ProblemException;
    expect(problem.getStatus()).toBe(400);
    expect(problem.extras.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
  });
});

describe('@UuidField()', () => {
  class Params {
    @UuidField()
    id!: string;

    @UuidField({ optional: true, message: 'userId must be a UUID' })
    userId?: string;
  }

  async function check(plain: Record<string, unknown>): Promise<[Params, Record<string, string>]> {
    const instance = plainToInstance(Params, plain);
    const errors = await validate(instance);
    return [instance, Object.fromEntries(errors.map((e) => [e.property, Object.values(e.constraints ?? {})[0]!]))];
  }

  it('lower-cases what it accepts, so only the canonical form reaches a service', async () => {
    const [params, errors] = await check({ id: UPPER, userId: UPPER });
    expect(errors).toEqual({});
    expect(params).toEqual({ id: LOWER, userId: LOWER });
  });

  it('leaves an optional field absent', async () => {
    const [params, errors] = await check({ id: LOWER });
    expect(errors).toEqual({});
    expect(params.userId).toBeUndefined();
  });

  it.each(LOOK_ALIKES)('refuses %s, naming the field', async (_what, value) => {
    const [, errors] = await check({ id: value, userId: value });
    expect(errors).toEqual({ id: 'id must be a UUID', userId: 'userId must be a UUID' });
  });
});
