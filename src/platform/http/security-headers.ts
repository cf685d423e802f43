import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/** The security headers every response carries: helmet's defaults plus our CSP and HSTS. */
export const SECURITY_HEADER_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    // The API serves JSON; the docs page (outside production) needs its own assets, inline styles
    // and data: images.
    directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] },
  },
  hsts: { maxAge: 31536000, includeSubDomains: true },
};

/**
 * helmet's header set, computed once. For a given configuration helmet sets the same values on
 * every response (it only removes X-Powered-By besides), so running its twelve middlewares per
 * request is wasted work: the hot path sets this frozen map in one call instead. Computed by
 * running helmet itself against a recording response, so the values stay helmet's.
 */
export function staticSecurityHeaders(
  options: Readonly<HelmetOptions> = SECURITY_HEADER_OPTIONS,
): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  let failure: unknown;
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      return recorder;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  helmet(options as HelmetOptions)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => (failure = error),
  );
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  return Object.freeze(headers);
}
