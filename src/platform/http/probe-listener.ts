import type { Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';

/**
 * A second listening socket (PROBE_PORT) for the orchestrator's probes, in front of the same HTTP
 * server as the public port: its connections are handed to that server as they are accepted, so
 * every route, hook and protection is the same on both ports.
 *
 * What it changes is the accept queue. libuv takes one connection from a listening socket per
 * turn of the event loop, and a turn lasts as long as the work of every connection already
 * accepted: a burst of client connections (a flood's 50 at once) is accepted one per turn, and a
 * probe's new connection queued behind them waits for all of them (several turns of tens of ms on
 * a busy loop), although no single turn is late by much. A probe on its own listening socket is
 * accepted in the next turn, whatever waits on the public port.
 *
 * It stops accepting when the HTTP server has closed (after its connections have ended).
 */
export async function listenForProbes(http: HttpServer, port: number, host: string): Promise<Server> {
  const probes = createServer({ noDelay: true }, (socket) => http.emit('connection', socket));
  await new Promise<void>((resolve, reject) => {
    probes.once('error', reject);
    probes.listen({ port, host }, () => {
      probes.off('error', reject);
      resolve();
    });
  });
  http.once('close', () => probes.close());
  return probes;
}
