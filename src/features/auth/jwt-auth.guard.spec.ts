import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode } from '../../platform/problems';
import type { AuthenticatedRequest } from './current-user.decorator';
import type { Identity } from './identity/identity-cache';
import type { UserIdentities } from './identity/user-identities';
import { JwtAuthGuard } from './jwt-auth.guard';
import type { AccessTokenService } from './tokens/access-token.service';

class Controller {
  handler(): void {}
}

const USER: Identity = { id: 'u1', email: 'u1@example.test', role: 'user', disabled: false, sessionVersion: 2 };

function contextFor(request: Partial<AuthenticatedRequest>): ExecutionContext {
  return {
    getClass: () => Controller,
    getHandler: () => Controller.prototype.handler,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

function guardWith(options: { cached?: Identity; stored?: Identity | null; sv?: number }) {
  const identities = {
    cached: jest.fn(() => options.cached),
    get: jest.fn(() => Promise.resolve(options.stored ?? null)),
  };
  const tokens = { verifyNow: jest.fn(() => ({ sub: USER.id, sv: options.sv ?? USER.sessionVersion })) };
  const guard = new JwtAuthGuard(
    tokens as unknown as AccessTokenService,
    identities as unknown as UserIdentities,
    new Reflector(),
  );
  const request = { headers: { authorization: 'Bearer a.b.c' } } as unknown as AuthenticatedRequest;
  return { guard, identities, request, context: contextFor(request) };
}

describe('JwtAuthGuard', () => {
  it('admits a cached identity synchronously, without a promise and without a read', () => {
    const { guard, identities, request, context } = guardWith({ cached: USER });
    expect(guard.canActivate(context)).toBe(true);
    expect(identities.get).not.toHaveBeenCalled();
    expect(request.user).toEqual({ id: USER.id, email: USER.email, role: USER.role });
  });

  it('refuses a disabled or revoked cached identity synchronously', () => {
    for (const cached of [
      { ...USER, disabled: true },
      { ...USER, sessionVersion: 3 },
    ]) {
      const { guard, identities, context } = guardWith({ cached });
      expect(() => guard.canActivate(context)).toThrow(expect.objectContaining({ code: ErrorCode.TOKEN_INVALID }));
      expect(identities.get).not.toHaveBeenCalled();
    }
  });

  it('reads the identity when it is not cached', async () => {
    const { guard, identities, request, context } = guardWith({ stored: USER });
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(identities.get).toHaveBeenCalledWith(USER.id);
    expect(request.user?.id).toBe(USER.id);
  });

  it('re-reads the identity when the token is newer than the cached entry', async () => {
    const { guard, identities, context } = guardWith({ cached: USER, stored: { ...USER, sessionVersion: 3 }, sv: 3 });
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(identities.get).toHaveBeenCalledWith(USER.id, { fresh: true });
  });

  it('refuses a token newer than the cached entry when the re-read finds the user disabled', async () => {
    const { guard, context } = guardWith({
      cached: USER,
      stored: { ...USER, disabled: true, sessionVersion: 3 },
      sv: 3,
    });
    await expect(guard.canActivate(context)).rejects.toMatchObject({ code: ErrorCode.TOKEN_INVALID });
  });

  it('refuses an unknown user after the read', async () => {
    const { guard, context } = guardWith({ stored: null });
    await expect(guard.canActivate(context)).rejects.toMatchObject({ code: ErrorCode.TOKEN_INVALID });
  });
});
