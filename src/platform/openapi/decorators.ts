/**
 * The OpenAPI decorators, from `@nestjs/swagger`'s decorators alone. The package's index also
 * loads the document builder, the explorer, the UI assets and what they need (lodash, js-yaml,
 * swagger-ui-dist): about 4 MiB of RSS in every instance, though only an instance with docs on
 * builds a document (app.factory.ts loads the rest then). The decorators write the same metadata
 * either way: this is the very module the index re-exports, so the document built later reads it.
 * Controllers and DTOs import their decorators from here (eslint's no-restricted-imports says so).
 */
import type * as Swagger from '@nestjs/swagger';

// The package's `exports` do not list its decorators folder, so it is found beside its index.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const decorators = require(
  require.resolve('@nestjs/swagger').replace(/index\.js$/, 'decorators/index.js'),
) as typeof Swagger;

export const {
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
} = decorators;
