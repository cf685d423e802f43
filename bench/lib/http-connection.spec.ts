import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpConnection, parseAnswer } from './http-connection';

describe('HttpConnection (the request chains’ load generator)', () => {
  let server: http.Server;
  let url: string;
  const sockets = new Set<string>();
  let handler: (request: http.IncomingMessage, body: string, response: http.ServerResponse) => void;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      sockets.add(`${request.socket.remotePort}`);
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => handler(request, Buffer.concat(chunks).toString('utf8'), response));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => sockets.clear());
  const opened: HttpConnection[] = [];
  const open = (): HttpConnection => {
    const connection = HttpConnection.forUrl(url);
    opened.push(connection);
    return connection;
  };
  afterEach(() => {
    for (const connection of opened.splice(0)) connection.close();
  });

  it('posts JSON and reads the answer, request after request over one connection', async () => {
    handler = (request, body, response) => {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/v1/echo');
      expect(request.headers['content-type']).toBe('application/json');
      const text = JSON.stringify({ got: JSON.parse(body) as unknown, note: 'é ✓' });
      response.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    };
    const connection = open();
    for (let i = 0; i < 5; i++) {
      const answer = await connection.post('/v1/echo', JSON.stringify({ n: i, s: 'ü' }));
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.body)).toEqual({ got: { n: i, s: 'ü' }, note: 'é ✓' });
    }
    expect(sockets.size).toBe(1);
  });

  it('reads a chunked answer and one without a body', async () => {
    let call = 0;
    handler = (_request, _body, response) => {
      call += 1;
      if (call === 1) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"a":');
        setImmediate(() => response.end('1}'));
      } else {
        response.writeHead(204);
        response.end();
      }
    };
    const connection = open();
    expect(await connection.post('/', '{}')).toEqual({ status: 200, body: '{"a":1}' });
    expect(await connection.post('/', '{}')).toEqual({ status: 204, body: '' });
  });

  it('opens a new connection after the server closes one, and fails a request whose connection dies', async () => {
    let call = 0;
    handler = (_request, _body, response) => {
      call += 1;
      if (call === 1) {
        response.writeHead(401, { connection: 'close', 'content-length': 2 });
        response.end('{}');
      } else if (call === 2) {
        response.socket?.destroy();
      } else {
        response.writeHead(200, { 'content-length': 2 });
        response.end('ok');
      }
    };
    const connection = open();
    expect(await connection.post('/', '{}')).toEqual({ status: 401, body: '{}' });
    await expect(connection.post('/', '{}')).rejects.toThrow(/closed the connection/);
    expect(await connection.post('/', '{}')).toEqual({ status: 200, body: 'ok' });
    expect(sockets.size).toBe(3);
  });

  it('refuses a second request while one is in flight', async () => {
    handler = (_request, _body, response) => {
      response.writeHead(200, { 'content-length': 0 });
      response.end();
    };
    const connection = open();
    const first = connection.post('/', '{}');
    await expect(connection.post('/', '{}')).rejects.toThrow(/already in flight/);
    expect((await first).status).toBe(200);
  });

  it('parses answers split anywhere, and rejects what it cannot read', () => {
    const whole = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nabcdHTTP/1.1');
    for (let cut = 0; cut < whole.length - 12; cut++) {
      expect(parseAnswer(whole.subarray(0, cut))).toBeUndefined();
    }
    expect(parseAnswer(whole)).toEqual({ status: 200, body: 'abcd', consumed: whole.length - 8, close: false });
    expect(parseAnswer(Buffer.from('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n'))?.close).toBe(true);
    expect(() => parseAnswer(Buffer.from('SSH-2.0-x\r\n\r\n'))).toThrow(/status line/);
    expect(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/neither content-length/);
    expect(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n'))).toThrow(/content-length/);
  });
});
