import type { ProblemException } from './problem';

/**
 * A problem that must be the answer to a request whatever error its handling then raises. Set by
 * a Fastify `onError` hook that learns something more important than the error itself (the
 * client is over its rate limit); read by the problem filter, which answers with it instead.
 */
const overrides = new WeakMap<object, ProblemException>();

export function answerInstead(request: object, problem: ProblemException): void {
  overrides.set(request, problem);
}

export function answerSetFor(request: object | undefined): ProblemException | undefined {
  return request === undefined ? undefined : overrides.get(request);
}
