import { Controller, Get, Module } from '@nestjs/common';
import { http, startApp } from '../helpers/app';
import { Public } from '../../src/platform/http/public.decorator';

/** Resolves once the slow route has received its request (so closing starts while it is in flight). */
let entered: () => void = () => undefined;

@Public()
@Controller('slow')
class SlowController {
  @Get()
  async slow(): Promise<{ done: boolean }> {
    entered();
    await new Promise((resolve) => setTimeout(resolve, 700));
    return { done: true };
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

describe('graceful shutdown', () => {
  it('lets an in-flight request finish while closing, then stops listening', async () => {
    const gw = await startApp({}, { imports: [SlowModule] });
    const arrived = new Promise<void>((resolve) => (entered = resolve));
    const inFlight = http(gw.url, 'GET', '/v1/slow');
    await arrived; // the handler runs: closing now cuts into a request in flight
    const closing = gw.close();
    const res = await inFlight;
    await closing;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ done: true });
    await expect(fetch(`${gw.url}/health/live`)).rejects.toThrow();
  });
});
