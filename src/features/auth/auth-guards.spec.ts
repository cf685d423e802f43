import { Controller, Get } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { controllerApp, type ControllerApp } from '../../../test/helpers/controller-app';
import { Public } from '../../platform/http/public.decorator';
import { AuthenticatedUser, CurrentUser } from './current-user.decorator';
import { Roles } from './roles.decorator';

/** A controller that says nothing about access: the global guards decide. */
@Controller('undecided')
class UndecidedController {
  @Get()
  read(@CurrentUser() user: AuthenticatedUser): { id: string } {
    return { id: user.id };
  }

  @Get('open')
  @Public()
  open(): { open: true } {
    return { open: true };
  }
}

@Controller('admin-only')
@Roles('admin')
class AdminOnlyController {
  @Get()
  read(): { ok: true } {
    return { ok: true };
  }

  /** The handler's own @Roles() replaces the controller's. */
  @Get('users-too')
  @Roles('user', 'admin')
  usersToo(): { ok: true } {
    return { ok: true };
  }
}

@Controller('open-class')
@Public()
class OpenController {
  @Get()
  read(): { open: true } {
    return { open: true };
  }
}

describe('global auth guards (deny by default)', () => {
  let api: ControllerApp;
  let userToken: string;
  let adminToken: string;
  const user = { id: randomUUID(), email: 'u@example.test', role: 'user' as const, disabled: false, sessionVersion: 0 };

  beforeAll(async () => {
    api = await controllerApp({
      controllers: [UndecidedController, AdminOnlyController, OpenController],
      providers: [],
    });
    userToken = await api.tokenFor(user);
    adminToken = await api.tokenFor({ ...user, id: randomUUID(), email: 'a@example.test', role: 'admin' });
  });
  afterAll(() => api.close());

  it('protects a route that declares nothing: 401 without a token, 200 with one', async () => {
    // Twice: the second request reads the guard's per-route cache.
    for (let i = 0; i < 2; i++) {
      const res = await api.request({ method: 'GET', url: '/v1/undecided' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect(await api.request({ method: 'GET', url: '/v1/undecided', token: userToken })).toMatchObject({
      status: 200,
      body: { id: user.id },
    });
  });

  it('opens a @Public() handler and every route of a @Public() controller, even for a bad token', async () => {
    expect((await api.request({ method: 'GET', url: '/v1/undecided/open' })).status).toBe(200);
    expect((await api.request({ method: 'GET', url: '/v1/open-class' })).status).toBe(200);
    expect((await api.request({ method: 'GET', url: '/v1/open-class', token: 'not.a.token' })).status).toBe(200);
  });

  it('narrows with @Roles(): the controller list, replaced by a handler list', async () => {
    expect((await api.request({ method: 'GET', url: '/v1/admin-only' })).status).toBe(401);
    const forbidden = await api.request({ method: 'GET', url: '/v1/admin-only', token: userToken });
    expect(forbidden).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect((await api.request({ method: 'GET', url: '/v1/admin-only', token: adminToken })).status).toBe(200);
    expect((await api.request({ method: 'GET', url: '/v1/admin-only/users-too', token: userToken })).status).toBe(200);
  });
});
