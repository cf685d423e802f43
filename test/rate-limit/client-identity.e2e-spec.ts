import { randomBytes } from 'node:crypto';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { RateLimitProbeModule } from './rate-limit-probe.module';

const probes = { imports: [RateLimitProbeModule] };
const randomIp = (): string => [10, ...randomBytes(3)].join('.');
const get = (gw: TestApp, xff?: string): Promise<HttpResult> =>
  http(gw.url, 'GET', '/v1/limited', xff ? { headers: { 'x-forwarded-for': xff } } : {});

describe('who counts as the client [gate:1.1.11]', () => {
  describe('with TRUST_PROXY unset (no proxy trusted)', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '3' }, probes);
    });
    afterAll(() => gw.close());

    it('ignores X-Forwarded-For: a new spoofed value per request gets no fresh budget', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await get(gw, randomIp())).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    });

    it('ignores X-Real-IP and Forwarded as well', async () => {
      const res = await http(gw.url, 'GET', '/v1/limited', {
        headers: { 'x-real-ip': randomIp(), forwarded: `for=${randomIp()}`, 'x-forwarded-for': randomIp() },
      });
      expectProblem(res, 429, 'RATE_LIMITED');
    });
  });

  describe('with TRUST_PROXY=127.0.0.1 (the test client connects from 127.0.0.1, acting as the proxy)', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '3', TRUST_PROXY: '127.0.0.1' }, probes);
    });
    afterAll(() => gw.close());

    it('gives each forwarded client address its own budget', async () => {
      const first = randomIp();
      const second = randomIp();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(gw, first)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await get(gw, second)).status).toBe(200);
    });

    it('believes only the hop the trusted proxy added: spoofed entries to its left change nothing', async () => {
      const client = randomIp();
      const statuses: number[] = [];
      // The proxy appends the real peer (client); whatever the client sent sits to the left.
      for (let i = 0; i < 5; i++) statuses.push((await get(gw, `${randomIp()}, ${client}`)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      // And it is the same budget as that client's own requests without spoofing.
      expectProblem(await get(gw, client), 429, 'RATE_LIMITED');
    });
  });

  describe('with TRUST_PROXY=1 (one hop trusted, whoever it is)', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '2', TRUST_PROXY: '1' }, probes);
    });
    afterAll(() => gw.close());

    it('takes the last X-Forwarded-For entry as the client, whatever sits to its left', async () => {
      const client = randomIp();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(gw, `${randomIp()}, ${client}`)).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect((await get(gw, `${client}, ${randomIp()}`)).status).toBe(200);
    });
  });

  describe('with TRUST_PROXY listing a network the peer is not in', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '2', TRUST_PROXY: '10.0.0.0/8, 192.168.0.1' }, probes);
    });
    afterAll(() => gw.close());

    it('ignores X-Forwarded-For from that untrusted peer', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(gw, randomIp())).status);
      expect(statuses).toEqual([200, 200, 429, 429]);
    });
  });
});
