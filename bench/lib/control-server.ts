/**
 * The control for latency probes: a bare Node HTTP server in its own process that answers 200 to
 * everything. Probed beside the gateway, it shows how much of a latency is the machine (CPU
 * contention from the load generator and everything else) rather than the gateway.
 * Env: PORT, HOST.
 */
import http from 'node:http';

const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end('{"status":"ok"}');
});
server.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
