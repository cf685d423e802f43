import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { previewOpenApiDocument } from './preview-document';

/**
 * Writes the OpenAPI document without a database, Redis or provider (see previewOpenApiDocument).
 *
 *   node dist/platform/openapi/export-openapi.js [out.json]     (stdout without a path)
 */
async function main(): Promise<void> {
  const json = JSON.stringify(await previewOpenApiDocument(), null, 2) + '\n';
  const out = process.argv[2];
  if (out) writeFileSync(out, json);
  else process.stdout.write(json);
}

main().catch((error: unknown) => {
  process.stderr.write(`openapi export failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
