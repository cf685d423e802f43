import { createServer } from 'node:net';
import { freePort, freePorts, isListening } from './ports';

describe('ports', () => {
  it('hands out distinct ports that can then be bound', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    const [port = 0] = ports;
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await isListening(port)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('sees nothing listening on a port just released', async () => {
    expect(await isListening(await freePort())).toBe(false);
  });
});
