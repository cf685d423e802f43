/**
 * Every number in a parsed JSON value, by path (`$.info.database.latencyMs`): the public readiness
 * body must have none (its figures belong on the metrics listener).
 */
export function numbersIn(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return [path];
  if (Array.isArray(value)) return value.flatMap((item: unknown, i) => numbersIn(item, `${path}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => numbersIn(item, `${path}.${key}`));
  return [];
}
