import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { ROLES_KEY, type Role } from '../../src/features/auth/roles.decorator';
import { isPublicRoute } from '../../src/platform/http/public.decorator';
import { createOpenApiDocument } from '../../src/platform/openapi/openapi-document';
import { expectProblem, http, startApp, type TestApp } from '../helpers/app';
import { randomSecret, testVariables } from '../helpers/env';
import { startBuiltServer, waitForReady } from '../helpers/processes';
import { createSignedInUser, handSignedToken, type SignedInUser } from './fixtures';

/**
 * Deny by default, checked against the router itself: every route the application registers is
 * either on this allow-list or refuses callers without a valid access token. A new route cannot
 * be public by accident: it would fail here until someone adds it to the list below (and to the
 * "deny by default" rule of the contract).
 */
const PUBLIC_ROUTES = new Set([
  'GET /health/live',
  'GET /health/ready',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/logout',
  'POST /v1/webhooks/payment-provider',
]);
/** The OpenAPI document and Swagger UI (only when docs are enabled; served by Fastify outside Nest). */
const DOCS = /^\/docs(-json|\/.*)?$/;

interface RouterRoute {
  method: string;
  url: string;
}

interface RouteMetadata {
  isPublic: boolean;
  roles: readonly Role[] | undefined;
}

const key = (route: RouterRoute): string => `${route.method} ${route.url}`;
/** The GET route a HEAD route was derived from (Fastify adds HEAD to every GET). */
const asDeclared = (route: RouterRoute): RouterRoute => ({
  ...route,
  method: route.method === 'HEAD' ? 'GET' : route.method,
});
const isPublicRouterRoute = (route: RouterRoute): boolean =>
  PUBLIC_ROUTES.has(key(asDeclared(route))) || DOCS.test(route.url);
/** A concrete URL for a route pattern: every `:param` (all of them UUIDs in this API) a fresh UUID. */
const concrete = (url: string): string => url.replace(/:[A-Za-z]+/g, () => randomUUID());

/** Every handler Nest knows, by `METHOD /path` as the router spells it (with /v1 unless excluded). */
function routeMetadata(gw: TestApp, routerKeys: ReadonlySet<string>): Map<string, RouteMetadata> {
  const reflector = new Reflector();
  const found = new Map<string, RouteMetadata>();
  for (const module of gw.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const path = [base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')]
          .flatMap((part) => part.split('/'))
          .filter(Boolean)
          .join('/');
        const candidates = [`${RequestMethod[method]} /v1/${path}`, `${RequestMethod[method]} /${path}`];
        const routerKey = candidates.find((candidate) => routerKeys.has(candidate));
        if (routerKey === undefined) throw new Error(`${controller.name}.${name} is not in the router`);
        found.set(routerKey, {
          isPublic: isPublicRoute(reflector, handler as Type, controller),
          roles: reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [handler as Type, controller]),
        });
      }
    }
  }
  return found;
}

/** A request as a client sends it: no body (authentication runs before parsing the body into a DTO). */
async function call(gw: TestApp, route: RouterRoute, token?: string): Promise<{ status: number; code?: unknown }> {
  const url = concrete(route.url);
  if (route.method === 'HEAD') {
    const res = await fetch(`${gw.url}${url}`, {
      method: 'HEAD',
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: res.status };
  }
  const res = await http(gw.url, route.method, url, { token });
  return { status: res.status, code: res.body?.code };
}

describe('route inventory: deny by default', () => {
  let gw: TestApp;
  const routes: RouterRoute[] = [];
  let metadata: Map<string, RouteMetadata>;
  let user: SignedInUser;
  let expiredToken: string;
  let disabledToken: string;

  beforeAll(async () => {
    gw = await startApp(
      {},
      {
        beforeListen: (app) => {
          app
            .getHttpAdapter()
            .getInstance()
            .addHook('onRoute', (route) => {
              for (const method of [route.method].flat()) routes.push({ method, url: route.url ?? route.path });
            });
        },
      },
    );
    metadata = routeMetadata(gw, new Set(routes.map(key)));

    user = await createSignedInUser(gw);
    const admin = await createSignedInUser(gw, 'admin');
    const now = Math.floor(Date.now() / 1000);
    const signed = (iat: number, exp: number): string =>
      handSignedToken(gw, user.id, { role: 'user', sv: 0, iat, exp });
    // The same token with a future expiry is accepted: the expired one fails for its expiry alone.
    expect((await http(gw.url, 'GET', '/v1/auth/me', { token: signed(now - 10, now + 60) })).status).toBe(200);
    expiredToken = signed(now - 120, now - 60);

    const disabled = await createSignedInUser(gw);
    expect((await http(gw.url, 'GET', '/v1/auth/me', { token: disabled.token })).status).toBe(200);
    const res = await http(gw.url, 'PATCH', `/v1/admin/users/${disabled.id}`, {
      token: admin.token,
      body: { disabled: true },
    });
    expect(res.status).toBe(200);
    disabledToken = disabled.token;
  });
  afterAll(() => gw.close());

  it('reads the whole router: every Nest handler and its HEAD twin, each route once', () => {
    // More than the allow-list, and every handler found in the router (routeMetadata throws otherwise).
    expect(routes.length).toBeGreaterThan(20);
    expect(new Set(routes.map(key)).size).toBe(routes.length);
    for (const route of routes) {
      if (DOCS.test(route.url)) continue;
      expect({ route: key(route), declared: metadata.has(key(asDeclared(route))) }).toEqual({
        route: key(route),
        declared: true,
      });
    }
  });

  it('opens exactly the allow-listed routes: @Public() is on them and nowhere else', () => {
    const publicByMetadata = [...metadata].filter(([, route]) => route.isPublic).map(([routeKey]) => routeKey);
    expect(publicByMetadata.sort()).toEqual([...PUBLIC_ROUTES].sort());
    for (const allowed of PUBLIC_ROUTES) expect(routes.map(key)).toContain(allowed);
  });

  it('lets callers without a token reach the allow-listed routes (never 401 UNAUTHORIZED)', async () => {
    for (const route of routes.filter(isPublicRouterRoute)) {
      const res = await call(gw, route);
      expect({ route: key(route), unauthorized: res.status === 401 }).toEqual({
        route: key(route),
        unauthorized: false,
      });
    }
  });

  it.each([
    ['no token', undefined, 'UNAUTHORIZED'],
    ['an expired token', () => expiredToken, 'TOKEN_INVALID'],
    ['a token of a disabled user', () => disabledToken, 'TOKEN_INVALID'],
  ] as const)('answers 401 on every other route to %s', async (_name, token, code) => {
    const guarded = routes.filter((route) => !isPublicRouterRoute(route));
    expect(guarded.length).toBeGreaterThan(10);
    for (const route of guarded) {
      const res = await call(gw, route, token?.());
      const expected = route.method === 'HEAD' ? { status: 401 } : { status: 401, code };
      expect({ route: key(route), ...res }).toEqual({ route: key(route), ...expected });
    }
  });

  it('answers 403 FORBIDDEN to an ordinary user on every @Roles("admin") route', async () => {
    const adminOnly = routes.filter((route) => {
      const roles = metadata.get(key(asDeclared(route)))?.roles;
      return roles !== undefined && roles.includes('admin') && !roles.includes('user');
    });
    expect(adminOnly.length).toBeGreaterThanOrEqual(7);
    for (const route of adminOnly) {
      const res = await call(gw, route, user.token);
      const expected = route.method === 'HEAD' ? { status: 403 } : { status: 403, code: 'FORBIDDEN' };
      expect({ route: key(route), ...res }).toEqual({ route: key(route), ...expected });
    }
  });

  it('documents bearer security on exactly the operations that are not public', () => {
    const document: OpenAPIObject = createOpenApiDocument(gw.app);
    const documented: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, { security?: object[] }>)) {
        const routeKey = `${method.toUpperCase()} ${path.replace(/\{([A-Za-z]+)\}/g, ':$1')}`;
        documented.push(routeKey);
        const bearer = (operation.security ?? []).some((requirement) => 'bearer' in requirement);
        expect({ routeKey, bearer }).toEqual({ routeKey, bearer: !PUBLIC_ROUTES.has(routeKey) });
      }
    }
    const declared = routes.filter((route) => route.method !== 'HEAD' && !DOCS.test(route.url)).map(key);
    expect(documented.sort()).toEqual(declared.sort());
  });
});

describe('deny by default: the docs', () => {
  it('serves the OpenAPI document and the UI without a token (when docs are enabled)', async () => {
    const server = await startBuiltServer(testVariables({ DOCS_ENABLED: 'true', JWT_ACCESS_SECRET: randomSecret() }));
    try {
      await waitForReady(server.url);
      for (const path of ['/docs-json', '/docs']) {
        const res = await fetch(`${server.url}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        expect(DOCS.test(path)).toBe(true);
      }
      expectProblem(await http(server.url, 'GET', '/v1/auth/me'), 401, 'UNAUTHORIZED');
    } finally {
      await server.stop();
    }
  });
});
