import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

/** One command a Redis server ran, as MONITOR reports it. */
export interface MonitoredCommand {
  /** The command and its arguments, e.g. ['evalsha', '<sha>', '1', 'key']. */
  args: string[];
  /** The client's address, or `lua` for a command a script ran inside the server. */
  source: string;
}

/** MONITOR on one server, plus a second connection to send it markers. */
class MonitoredServer {
  readonly log: MonitoredCommand[] = [];
  private waiters = new Map<string, (index: number) => void>();

  private constructor(
    private readonly control: Redis,
    private readonly feed: Redis,
  ) {
    // Under load ioredis can take a MONITOR line for a reply to no command and emit "Command queue
    // state error"; the line is lost, not the connection, and the markers still bound each window.
    feed.on('error', () => undefined);
    feed.on('monitor', (_time: string, args: string[], source: string) => {
      this.log.push({ args, source });
      if (args[0]?.toLowerCase() === 'echo') this.waiters.get(args[1] ?? '')?.(this.log.length - 1);
    });
  }

  static async open(url: string): Promise<MonitoredServer> {
    const control = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await control.connect();
    try {
      return new MonitoredServer(control, await control.monitor());
    } catch (error) {
      control.disconnect();
      throw error;
    }
  }

  /** Sends a marker and resolves with its place in the log once the server has reported it. */
  mark(marker: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(marker);
        reject(new Error(`MONITOR did not report the marker within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(marker, (index) => {
        clearTimeout(timer);
        this.waiters.delete(marker);
        resolve(index);
      });
      this.control.echo(marker).catch((error: unknown) => {
        clearTimeout(timer);
        this.waiters.delete(marker);
        reject(error as Error);
      });
    });
  }

  close(): void {
    // MONITOR lines still on their way once the client has left monitoring mode look to ioredis
    // like replies to no command ("Command queue state error"); nothing listens any more.
    this.feed.on('error', () => undefined);
    this.feed.disconnect();
    this.control.disconnect();
  }
}

/**
 * Counts what Redis servers run, with exact windows instead of sleeps: `during(work)` sends a
 * marker (ECHO) to every server before and after `work` and returns what each ran between its
 * two markers. A server reports commands in the order it runs them, so once it has reported the
 * closing marker, every command it ran before (all of `work`'s) has been reported too.
 */
export class CommandMonitor {
  private constructor(private readonly servers: MonitoredServer[]) {}

  /** MONITOR on each server at `urls` (one per Redis Cluster master, or one standalone server). */
  static async start(urls: string[]): Promise<CommandMonitor> {
    const servers: MonitoredServer[] = [];
    try {
      for (const url of urls) servers.push(await MonitoredServer.open(url));
    } catch (error) {
      for (const server of servers) server.close();
      throw error;
    }
    return new CommandMonitor(servers);
  }

  /** The commands the servers ran while `work` ran (markers excluded), server by server in order. */
  async during(work: () => Promise<void>, timeoutMs = 15_000): Promise<MonitoredCommand[]> {
    const begin = `command-monitor:${randomUUID()}`;
    const starts = await Promise.all(this.servers.map((s) => s.mark(begin, timeoutMs)));
    await work();
    const end = `command-monitor:${randomUUID()}`;
    const ends = await Promise.all(this.servers.map((s) => s.mark(end, timeoutMs)));
    return this.servers.flatMap((server, i) => {
      const [start, stop] = [starts[i], ends[i]];
      if (start === undefined || stop === undefined) throw new Error('a monitored server gave no marker');
      return server.log.slice(start + 1, stop);
    });
  }

  stop(): void {
    for (const server of this.servers) server.close();
  }
}
