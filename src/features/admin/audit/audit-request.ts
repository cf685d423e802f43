import type { FastifyRequest } from 'fastify';
import type { AuditContext } from './admin-audit.repository';
import type { AuthenticatedUser } from '../../auth';

/**
 * The audit context of a request: the caller, the request id (X-Request-Id) and `request.ip`, the
 * client address by the TRUST_PROXY rules that the rate limiter's identity also starts from.
 */
export function auditContextOf(user: AuthenticatedUser, request: FastifyRequest): AuditContext {
  return {
    actorId: user.id,
    requestId: String(request.id),
    clientIp: request.ip || request.socket?.remoteAddress || 'unknown',
  };
}
