'use strict';

const { createServer } = require('node:http');

/**
 * A stand-in payment provider whose POST /charges never answers (a hung upstream). Sockets are
 * held open until close(), which destroys them.
 */
async function startHangingProvider() {
  const sockets = new Set();
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
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    charges: () => charges,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

module.exports = { startHangingProvider };
