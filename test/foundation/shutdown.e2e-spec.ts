import { Controller, Get, Module } from '@nestjs/common';
import { http, startApp } from '../helpers/app';

@Controller('slow')
class SlowController {
  @Get()
  async slow(): Promise<{ done: boolean }> {
    await new Promise((resolve) => setTimeout(resolve, 700));
    return { done: true };
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

describe('graceful shutdown', () => {
  it('lets an in-flight request finish while closing, then stops listening', async () => {
    const gw = await startApp({}, { imports: [SlowModule] });
    const inFlight = http(gw.url, 'GET', '/v1/slow');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const closing = gw.close();
    const res = await inFlight;
    await closing;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ done: true });
    await expect(fetch(`${gw.url}/health/live`)).rejects.toThrow();
  });
});
