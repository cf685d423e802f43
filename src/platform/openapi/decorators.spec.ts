import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as Swagger from '@nestjs/swagger';
import { ApiProperty } from './decorators';

const ROOT = join(__dirname, '../../..');

describe('OpenAPI decorators', () => {
  it("are @nestjs/swagger's own: the same functions, writing the metadata its document builder reads", () => {
    expect(ApiProperty).toBe(Swagger.ApiProperty);
    class Ours {
      @ApiProperty({ example: 'x' })
      field!: string;
    }
    class Theirs {
      @Swagger.ApiProperty({ example: 'x' })
      field!: string;
    }
    const keys = Reflect.getMetadataKeys(Ours.prototype, 'field');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys).toEqual(Reflect.getMetadataKeys(Theirs.prototype, 'field'));
    for (const key of keys) {
      expect(Reflect.getMetadata(key, Ours.prototype, 'field')).toEqual(
        Reflect.getMetadata(key, Theirs.prototype, 'field'),
      );
    }
  });

  it('leave the document builder and the UI unloaded in an application with docs off', async () => {
    const script = `
      require(${JSON.stringify(join(ROOT, 'src/app.factory.ts'))});
      const loaded = Object.keys(require.cache).filter((file) => file.includes('/node_modules/'));
      process.stdout.write(JSON.stringify(loaded.map((file) => file.slice(file.lastIndexOf('/node_modules/') + 14))));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: ROOT,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const loaded = JSON.parse(stdout) as string[];
    const swagger = loaded.filter((file) => file.startsWith('@nestjs/swagger/'));
    expect(swagger).toContain('@nestjs/swagger/dist/decorators/index.js');
    expect(swagger).not.toContain('@nestjs/swagger/dist/index.js');
    expect(swagger.filter((file) => /swagger-module|document-builder|swagger-explorer/.test(file))).toEqual([]);
    expect(loaded.filter((file) => file.startsWith('swagger-ui-dist/') || file.startsWith('js-yaml/'))).toEqual([]);
  });
});
