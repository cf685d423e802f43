import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HangingProvider {
  url: string;
  /** POST …/charges requests received so far. */
  charges(): number;
  close(): Promise<void>;
}

/**
 * A stand-in payment provider whose POST /charges never answers (a hung upstream). Sockets are
 * held open until close(), which destroys them.
 */
export async function startHangingProvider(): Promise<HangingProvider> {
  const sockets = new Set<Socket>();
  let charges = 0;
  const server = createServer((request) => {
    if (request.url?.endsWith('/charges')) charges += 1;
    request.resume(); // read the body, never reply
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    charges: () => charges,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
