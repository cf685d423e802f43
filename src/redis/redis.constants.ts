/** Injection token of the one shared ioredis client. */
export const REDIS = Symbol('REDIS');

/**
 * Injection token of a second connection for pub/sub only (a subscribed connection cannot run
 * other commands). Built with `duplicate()` from the shared client, so it follows whatever
 * topology and credentials that client was built with.
 */
export const REDIS_SUBSCRIBER = Symbol('REDIS_SUBSCRIBER');
