import net from 'node:net';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** An answer read from a buffer: how many bytes it took, and whether the server closes after it. */
export interface ParsedAnswer extends HttpAnswer {
  consumed: number;
  close: boolean;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive HTTP/1.1 connection that carries one request at a time, written as one string and
 * read with no more parsing than the answer needs: the status line, `content-length` (or a chunked
 * body) and `connection: close`. It is the load generator of request chains, where each request
 * needs the previous answer (autocannon, which the other scenarios use, sends fixed requests); like
 * autocannon it spends little CPU per request, so on a shared machine the load generator takes as
 * little as it can from the server it measures. `node:http`'s client, with its agent, parser and
 * streams, took about three times the CPU per request.
 *
 * A connection the server closed, or one that failed, is opened again by the next request; an
 * answer the parser cannot read rejects that request and drops the connection.
 */
export class HttpConnection {
  private socket: net.Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { resolve: (answer: HttpAnswer) => void; reject: (error: Error) => void } | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  static forUrl(url: string): HttpConnection {
    const { hostname, port, protocol } = new URL(url);
    if (protocol !== 'http:') throw new Error(`HttpConnection speaks plain http only, not ${protocol}`);
    return new HttpConnection(hostname, Number(port || 80));
  }

  /** POSTs a JSON body; resolves with the status and the body's text. */
  post(path: string, json: string): Promise<HttpAnswer> {
    if (this.pending) return Promise.reject(new Error('a request is already in flight on this connection'));
    const head =
      `POST ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(json)}\r\n\r\n`;
    return new Promise<HttpAnswer>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.connection().write(head + json);
    });
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.buffered = Buffer.alloc(0);
    socket?.destroy();
  }

  private connection(): net.Socket {
    if (this.socket) return this.socket;
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const gone = (error?: Error): void => {
      // A socket this connection already let go of (closed or replaced) has no request of its own.
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.buffered = Buffer.alloc(0);
      this.fail(error ?? new Error('the server closed the connection before answering'));
    };
    socket.on('error', gone);
    socket.on('close', () => gone());
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let answer: ParsedAnswer | undefined;
    try {
      answer = parseAnswer(this.buffered);
    } catch (error) {
      this.fail(error as Error);
      this.close();
      return;
    }
    if (!answer) return;
    this.buffered = this.buffered.subarray(answer.consumed);
    const pending = this.pending;
    this.pending = undefined;
    if (answer.close) this.close();
    pending?.resolve({ status: answer.status, body: answer.body });
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}

/**
 * Reads one HTTP/1.1 answer from the start of `data`: undefined while it is incomplete; throws when
 * it is not an answer this reader understands.
 */
export function parseAnswer(data: Buffer): ParsedAnswer | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const [first = '', ...headers] = data.toString('latin1', 0, headerEnd).split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(first);
  if (!statusLine) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(first)}`);
  let length: number | undefined;
  let chunked = false;
  let close = first.startsWith('HTTP/1.0');
  for (const line of headers) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') chunked = value.split(',').some((coding) => coding.trim() === 'chunked');
    else if (name === 'connection') close = value === 'close' ? true : value === 'keep-alive' ? false : close;
  }
  const start = headerEnd + HEADER_END.length;
  const status = Number(statusLine[1]);
  if (chunked) {
    const chunks: Buffer[] = [];
    let at = start;
    for (;;) {
      const sizeEnd = data.indexOf('\r\n', at);
      if (sizeEnd < 0) return undefined;
      const [sizeField = ''] = data.toString('latin1', at, sizeEnd).split(';');
      const size = Number.parseInt(sizeField, 16);
      if (!Number.isFinite(size) || size < 0) throw new Error('malformed chunk size');
      if (size === 0) {
        // No trailers are expected: the last chunk ends with an empty line.
        if (data.length < sizeEnd + 4) return undefined;
        return { status, body: Buffer.concat(chunks).toString('utf8'), consumed: sizeEnd + 4, close };
      }
      if (data.length < sizeEnd + 2 + size + 2) return undefined;
      chunks.push(data.subarray(sizeEnd + 2, sizeEnd + 2 + size));
      at = sizeEnd + 2 + size + 2;
    }
  }
  if (length === undefined) {
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) length = 0;
    else throw new Error(`an answer (${status}) with neither content-length nor a chunked body`);
  }
  if (!Number.isSafeInteger(length) || length < 0) throw new Error('malformed content-length');
  if (data.length < start + length) return undefined;
  return { status, body: data.toString('utf8', start, start + length), consumed: start + length, close };
}
