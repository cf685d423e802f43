/** Injection token of the one shared ioredis client. */
export const REDIS = Symbol('REDIS');
