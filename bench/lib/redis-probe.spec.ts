import { keyShape, keysOf, ProxyCounters, record, respCommandParser } from './redis-probe';

const resp = (...args: string[]): string =>
  `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

describe('bench counting proxy', () => {
  it('parses RESP commands split anywhere across chunks, and pipelined commands in one chunk', () => {
    const seen: string[][] = [];
    const parse = respCommandParser((args) => seen.push(args));
    const stream = Buffer.from(resp('EVALSHA', 'abc', '2', 'k1', 'k2', 'arg') + resp('PING') + 'PING\r\n');
    for (let i = 0; i < stream.length; i += 7) parse(stream.subarray(i, i + 7));
    expect(seen).toEqual([['EVALSHA', 'abc', '2', 'k1', 'k2', 'arg'], ['PING'], ['PING']]);
  });

  it('counts UTF-8 arguments by bytes', () => {
    const seen: string[][] = [];
    respCommandParser((args) => seen.push(args))(Buffer.from(resp('SET', 'clé', 'µ')));
    expect(seen).toEqual([['SET', 'clé', 'µ']]);
  });

  it("takes a script's keys from its KEYS count, a command's from its first argument", () => {
    expect(keysOf('EVALSHA', ['EVALSHA', 'sha', '2', 'a', 'b', 'argv'])).toEqual(['a', 'b']);
    expect(keysOf('GET', ['GET', 'k'])).toEqual(['k']);
    expect(keysOf('PING', ['PING'])).toEqual([]);
    expect(keysOf('AUTH', ['AUTH', 'secret'])).toEqual([]);
  });

  it('shapes keys so that ids, addresses and digests count together', () => {
    expect(keyShape('gw:{rl:0123456789abcdef0123}:global:hits')).toBe('gw:{rl:<hash>}:global:hits');
    expect(keyShape('gw:user:123e4567-e89b-42d3-a456-426614174000')).toBe('gw:user:<uuid>');
    expect(keyShape('gw:lock:127.0.0.1:x')).toBe('gw:lock:<ip>:x');
  });

  it('records commands by name and key shapes', () => {
    const counters: ProxyCounters = { roundTrips: 0, commands: 0, byCommand: {}, keyShapes: {} };
    record(counters, ['evalsha', 'sha', '1', 'gw:{rl:0123456789abcdef0123}:auth:hits']);
    record(counters, ['EVALSHA', 'sha', '1', 'gw:{rl:fedcba9876543210fedc}:auth:hits']);
    expect(counters).toEqual({
      roundTrips: 0,
      commands: 2,
      byCommand: { EVALSHA: 2 },
      keyShapes: { 'gw:{rl:<hash>}:auth:hits': 2 },
    });
  });
});
