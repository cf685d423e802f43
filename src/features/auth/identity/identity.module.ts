import { Module } from '@nestjs/common';
import { UserIdentities } from './user-identities';

/**
 * The per-instance identity cache and its cross-instance invalidations (Redis pub/sub). Used by
 * the auth guard (reads) and by whatever changes a user's enabled flag, role or sessions (invalidate).
 */
@Module({
  providers: [UserIdentities],
  exports: [UserIdentities],
})
export class IdentityModule {}
