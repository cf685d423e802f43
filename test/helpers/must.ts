/**
 * `value`, or a failure that names what was missing. An indexed read may miss
 * (`noUncheckedIndexedAccess`); a test that needs the element says so instead of asserting it away.
 */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}, found none`);
  return value;
}
