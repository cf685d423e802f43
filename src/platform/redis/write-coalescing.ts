import type { Socket } from 'node:net';
import Redis, { Cluster } from 'ioredis';
import { HeldTimeouts, holdTimeoutsIn } from './command-timeout';

const COALESCED = Symbol.for('gateway.redis.writesCoalescedPerTurn');

type SendCommand = Redis['sendCommand'];

/**
 * The commands a client issues during one turn of the event loop leave in one write.
 *
 * Without this every command is its own `write(2)`, and a write is a system call that also runs
 * the sending side's TCP work (on loopback, the receiving side's too); Redis then reads and answers
 * each one on its own. Under load one turn's poll phase handles many requests, and each one's
 * rate-limit call was one write. Here the first command of a turn corks the client's socket and
 * the turn's check phase (setImmediate) uncorks it, so the turn's commands go out in one `writev`
 * and their replies come back together. Nothing waits on a reply (unlike ioredis's
 * auto-pipelining, which holds commands until the previous batch has answered): a command leaves
 * at the end of the turn it was issued in, and its timeout is counted from then
 * (command-timeout.ts).
 *
 * Only a command written to the client's own connection while it is ready is corked; offline
 * queueing, pipelines and the connection's handshake go through unchanged. A socket replaced by a
 * reconnect in the meantime is uncorked all the same (its buffered writes fail with it, as ioredis
 * fails the commands of a closed connection).
 */
export function coalesceWritesPerTurn(client: Redis): Redis {
  const marked = client as Redis & { [COALESCED]?: true };
  if (marked[COALESCED]) return client;
  marked[COALESCED] = true;
  const send: SendCommand = client.sendCommand;
  const timeouts = new HeldTimeouts();
  let corked: Socket | undefined;
  const uncork = (): void => {
    const socket = corked;
    corked = undefined;
    socket?.uncork();
    timeouts.arm();
  };
  client.sendCommand = function sendCommand(this: Redis, command, stream) {
    if (stream !== undefined || this.status !== 'ready') return send.call(this, command, stream);
    if (corked === undefined) {
      const socket = (this as unknown as { stream?: Socket }).stream;
      if (!socket?.writable) return send.call(this, command, stream);
      corked = socket;
      socket.cork();
      setImmediate(uncork);
    }
    holdTimeoutsIn(timeouts);
    try {
      return send.call(this, command, stream);
    } finally {
      holdTimeoutsIn(undefined);
    }
  } as SendCommand;
  return client;
}

/** Every node connection of a Cluster client, as the client opens them. */
export function coalesceClusterWritesPerTurn(cluster: Cluster): Cluster {
  for (const node of cluster.nodes()) coalesceWritesPerTurn(node);
  cluster.on('+node', (node: Redis) => coalesceWritesPerTurn(node));
  return cluster;
}
