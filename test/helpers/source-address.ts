import { request } from 'node:http';
import type { HttpResult } from './app';

/**
 * A real HTTP request sent from a chosen loopback source address (127.0.0.x): the gateway sees a
 * different client per address on its socket, with no forwarded header. Linux routes all of
 * 127.0.0.0/8 to the loopback interface, so any of them can be bound without setup; the gateway
 * must listen on 127.0.0.1 or 0.0.0.0.
 */
export function httpFrom<T = Record<string, unknown>>(
  source: string,
  baseUrl: string,
  method: string,
  path: string,
  /**
   * `verbatimPath`: send `path` as written (dot segments included), not as URL resolution leaves it.
   * `rawBody`: send these bytes as they are (with `contentType`, default application/json) instead of
   * `body` as JSON: for malformed, oversized or mistyped bodies.
   */
  options: {
    body?: unknown;
    rawBody?: string | Buffer;
    contentType?: string;
    token?: string;
    /** Further request headers, e.g. a forwarded address the gateway must not believe. */
    headers?: Record<string, string>;
    verbatimPath?: boolean;
  } = {},
): Promise<HttpResult<T>> {
  const url = new URL(path, baseUrl);
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: options.verbatimPath ? path : url.pathname + url.search,
        method,
        headers,
        localAddress: source,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: callers look at `text`
          }
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: parsed as T, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
