import { testVariables } from '../helpers/env';
import { BuiltServer, startBuiltServer } from '../helpers/processes';

/** The docs route needs an ESM dependency Jest cannot load, so this runs the built server. */
describe('OpenAPI document (/docs-json) of the auth and admin routes', () => {
  let server: BuiltServer;
  let base: string;
  beforeAll(async () => {
    server = await startBuiltServer(testVariables({ DOCS_ENABLED: 'true' }));
    base = server.url;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('documents every auth and admin route with typed bodies and bearer security', async () => {
    const doc = (await (await fetch(`${base}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: { name: string; schema: unknown }[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/auth/login',
        '/v1/auth/refresh',
        '/v1/auth/logout',
        '/v1/auth/me',
        '/v1/admin/users',
        '/v1/admin/users/{id}',
        '/v1/admin/users/{id}/unlock',
        '/v1/admin/users/{id}/revoke-sessions',
        '/v1/admin/audit',
      ]),
    );
    expect(doc.paths['/v1/auth/me']?.get?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/admin/users']?.post?.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(doc.components.schemas.LoginDto?.properties ?? {})).toEqual(['email', 'password']);
    expect(Object.keys(doc.components.schemas.CreateUserDto?.properties ?? {})).toEqual(['email', 'password', 'role']);
    const page = doc.paths['/v1/admin/users']?.get?.parameters?.find((p) => p.name === 'pageSize');
    expect(page?.schema).toEqual(expect.objectContaining({ type: 'integer', maximum: 100 }));
    expect(doc.paths['/v1/admin/audit']?.get?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/admin/audit']?.get?.parameters?.map((p) => p.name).sort()).toEqual([
      'action',
      'actor',
      'cursor',
      'limit',
      'target',
    ]);
    expect(Object.keys(doc.components.schemas.AuditPageResponse?.properties ?? {})).toEqual(['items', 'nextCursor']);
  });
});
