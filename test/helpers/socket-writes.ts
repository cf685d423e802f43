import type { Socket } from 'node:net';
import type Redis from 'ioredis';

/** What was handed to sockets' write system calls while a count ran. */
export interface WriteCount {
  /** Calls that wrote (each one `write` or one `writev`). */
  writes: number;
  /** Buffers those calls carried (a `writev` carries several). */
  chunks: number;
  stop(): void;
}

/**
 * Counts the writes streams make to their sockets: Node's Writable calls `_write` for one buffered
 * chunk and `_writev` for several gathered while corked, once per system call.
 */
export function countSocketWrites(sockets: readonly Socket[]): WriteCount {
  const count: WriteCount = { writes: 0, chunks: 0, stop: () => undefined };
  const restores: (() => void)[] = [];
  for (const socket of sockets) {
    const target = socket as Socket & {
      _write: (...args: unknown[]) => void;
      _writev?: (chunks: unknown[], ...rest: unknown[]) => void;
    };
    const write = target._write;
    const writev = target._writev;
    target._write = function (this: Socket, ...args: unknown[]) {
      count.writes += 1;
      count.chunks += 1;
      return write.apply(this, args);
    };
    if (writev) {
      target._writev = function (this: Socket, chunks: unknown[], ...rest: unknown[]) {
        count.writes += 1;
        count.chunks += chunks.length;
        return writev.call(this, chunks, ...rest);
      };
    }
    restores.push(() => {
      delete (target as Partial<typeof target>)._write;
      delete (target as Partial<typeof target>)._writev;
    });
  }
  count.stop = () => restores.forEach((restore) => restore());
  return count;
}

/** The socket of an ioredis client's connection (ioredis keeps it as `stream`). */
export const redisSocket = (redis: Redis): Socket => (redis as unknown as { stream: Socket }).stream;
