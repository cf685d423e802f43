import type { ThrottlerStorage } from '@nestjs/throttler';

/** Shape of the throttler's storage record (the package does not export it from its index). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
