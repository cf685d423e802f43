import net, { AddressInfo } from 'node:net';

export interface ProxyCounters {
  roundTrips: number;
  commands: number;
  byCommand: Record<string, number>;
  keyShapes: Record<string, number>;
}

export interface CountingProxy {
  /** The upstream URL with host and port replaced by the proxy's. */
  url: string;
  snapshot(): ProxyCounters;
  close(): Promise<void>;
}

/**
 * A counting TCP proxy in front of Redis (or PostgreSQL). It forwards bytes untouched and records,
 * from the client's side of the conversation:
 *  - round trips: each time the client sends after the server has answered (a pipeline or a
 *    MULTI block sent in one go counts once, as it costs one network round trip);
 *  - for Redis (`resp: true`), commands by name, parsed from the RESP stream, and the shapes of
 *    the keys touched (ids and addresses replaced), to tell which limits ran.
 * Measured at concurrency 1, round trips per request are exact.
 */
export async function startCountingProxy(
  upstreamUrl: string,
  { resp = false }: { resp?: boolean } = {},
): Promise<CountingProxy> {
  const upstream = new URL(upstreamUrl);
  const defaultPort = upstream.protocol.startsWith('redis') ? 6379 : 5432;
  const counters: ProxyCounters = { roundTrips: 0, commands: 0, byCommand: {}, keyShapes: {} };
  const sockets = new Set<net.Socket>();

  const proxy = net.createServer((client) => {
    const server = net.connect(Number(upstream.port || defaultPort), upstream.hostname);
    client.setNoDelay(true);
    server.setNoDelay(true);
    sockets.add(client).add(server);
    let awaitingReply = false;
    const parser = resp ? respCommandParser((args) => record(counters, args)) : () => {};
    client.on('data', (chunk) => {
      if (!awaitingReply) counters.roundTrips += 1;
      awaitingReply = true;
      parser(chunk);
      server.write(chunk);
    });
    server.on('data', (chunk) => {
      awaitingReply = false;
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = new URL(upstreamUrl);
  url.hostname = '127.0.0.1';
  url.port = String((proxy.address() as AddressInfo).port);
  return {
    url: url.toString(),
    snapshot: () => structuredClone(counters),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

export const startRedisProbe = (upstreamUrl: string): Promise<CountingProxy> =>
  startCountingProxy(upstreamUrl, { resp: true });

/** A Redis key with ids, addresses and digests replaced, so that keys of one kind count together. */
export function keyShape(key: string): string {
  return key
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/\d{1,3}(\.\d{1,3}){3}|::ffff:[\d.]+|::1/g, '<ip>')
    .replace(/[0-9a-f]{16,}/gi, '<hash>');
}

export function record(counters: ProxyCounters, args: string[]): void {
  const name = (args[0] ?? '').toUpperCase();
  counters.commands += 1;
  counters.byCommand[name] = (counters.byCommand[name] ?? 0) + 1;
  for (const key of keysOf(name, args)) {
    const shape = keyShape(key);
    counters.keyShapes[shape] = (counters.keyShapes[shape] ?? 0) + 1;
  }
}

/** The keys a command touches (the first argument, or a script's KEYS). */
export function keysOf(name: string, args: string[]): string[] {
  if (name === 'EVAL' || name === 'EVALSHA' || name === 'FCALL') {
    const count = Number(args[2] ?? 0);
    return args.slice(3, 3 + count);
  }
  if (['MULTI', 'EXEC', 'PING', 'INFO', 'SCRIPT', 'AUTH', 'CLIENT', 'SELECT', 'HELLO'].includes(name)) return [];
  return args.slice(1, 2);
}

/** Incremental parser of RESP arrays of bulk strings (what clients send). */
export function respCommandParser(onCommand: (args: string[]) => void): (chunk: Buffer) => void {
  let buffer: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      const parsed = parseArray(buffer, offset);
      if (!parsed) break;
      onCommand(parsed.args);
      offset = parsed.next;
    }
    buffer = buffer.subarray(offset);
  };
}

function readLine(buffer: Buffer, offset: number): { line: string; next: number } | undefined {
  const end = buffer.indexOf('\r\n', offset);
  return end < 0 ? undefined : { line: buffer.toString('latin1', offset, end), next: end + 2 };
}

function parseArray(buffer: Buffer, offset: number): { args: string[]; next: number } | undefined {
  const header = readLine(buffer, offset);
  if (!header) return undefined;
  if (header.line[0] !== '*') return { args: header.line.split(' '), next: header.next }; // inline command
  const count = Number(header.line.slice(1));
  const args: string[] = [];
  let next = header.next;
  for (let i = 0; i < count; i++) {
    const size = readLine(buffer, next);
    if (!size) return undefined;
    const length = Number(size.line.slice(1));
    if (buffer.length < size.next + length + 2) return undefined;
    args.push(buffer.toString('utf8', size.next, size.next + length));
    next = size.next + length + 2;
  }
  return { args, next };
}
