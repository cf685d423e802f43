import { createServer, request, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { listenForProbes } from './probe-listener';

function port(server: HttpServer | Server): number {
  return (server.address() as AddressInfo).port;
}

function get(at: number, path: string): Promise<{ status: number; body: string; socketPort: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: at, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, socketPort: String(res.headers['x-local-port']) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('listenForProbes', () => {
  let http: HttpServer;
  let probes: Server;

  beforeEach(async () => {
    // Answers with the port the connection came in on, so a test sees which listener took it.
    http = createServer((req, res) => {
      res.setHeader('x-local-port', String(req.socket.localPort));
      res.end(`${req.method} ${req.url}`);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    probes = await listenForProbes(http, 0, '127.0.0.1');
  });

  afterEach(async () => {
    if (http.listening) await new Promise((resolve) => http.close(resolve));
  });

  it('hands its connections to the same HTTP server as the public port', async () => {
    expect(port(probes)).not.toBe(port(http));
    const viaProbePort = await get(port(probes), '/health/live');
    expect(viaProbePort).toEqual({ status: 200, body: 'GET /health/live', socketPort: String(port(probes)) });
    const viaPublicPort = await get(port(http), '/health/live');
    expect(viaPublicPort).toEqual({ status: 200, body: 'GET /health/live', socketPort: String(port(http)) });
  });

  it('stops accepting once the HTTP server has closed', async () => {
    await new Promise((resolve) => http.close(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(probes.listening).toBe(false);
  });

  it('fails when its port is taken', async () => {
    await expect(listenForProbes(http, port(http), '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
  });
});
