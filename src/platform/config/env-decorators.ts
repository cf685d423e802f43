import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/** "42" -> 42 (surrounding spaces allowed); anything else is left for the validators to refuse. */
export const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

/** "a, b,,c" -> ['a', 'b', 'c']. */
export const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0)
    : value;

/**
 * An integer variable in [min, max] (no upper bound when `max` is omitted), given as a decimal
 * string. Stands for `@IsInt() @Min(min) @Max(max) @Transform(toInt)`, applied in the same order
 * (so the refusal lists the same constraint messages).
 */
export function IntRange(min: number, max?: number): PropertyDecorator {
  // Listed bottom-up, the order in which TypeScript applies a stacked decorator list.
  const decorators: PropertyDecorator[] = [
    Transform(toInt),
    ...(max === undefined ? [] : [Max(max)]),
    Min(min),
    IsInt(),
  ];
  return (target, propertyKey) => {
    for (const decorate of decorators) decorate(target, propertyKey);
  };
}
