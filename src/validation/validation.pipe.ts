import { ValidationError, ValidationPipe } from '@nestjs/common';
import { type FieldError, validationProblem } from '../problems';

/** Flattens class-validator's tree into `{ field: "a.b.0.c", message }` pairs. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      out.push({
        field,
        // whitelistValidation's text is "property x should not exist"; say it plainly.
        message: constraint === 'whitelistValidation' ? 'is not an allowed field' : message,
      });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/**
 * Strict by default: unknown fields are errors (at every depth, with @ValidateNested), nothing is
 * converted implicitly ("100" stays a string and fails @IsInt), and values are never echoed back.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
  });
}
