import { SkipThrottle } from '@nestjs/throttler';

/**
 * Exempts a controller or route from every named rate limit. Each use must be listed in
 * the exemptions table in docs/rate-limiting.md.
 */
export const SkipRateLimit = (): MethodDecorator & ClassDecorator => SkipThrottle({ global: true, auth: true });
