import Redis from 'ioredis';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';
import { randomSecret } from './env';
import { must } from './must';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every redis-server this file started and has not stopped: killed if the test process exits first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Polls `check` until it returns true (errors count as "not yet"); throws `what` after timeoutMs. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

/** One redis-server process (data node or sentinel) on a loopback port, in its own temp directory. */
class RedisProcess {
  private child?: ChildProcess;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', this.args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', () => running.delete(child));
    await waitUntil(
      `redis-server on port ${this.port} (${output})`,
      () => {
        if (!this.running) return Promise.reject(new Error(`redis-server exited: ${output}`));
        return Promise.resolve(/Ready to accept connections|Sentinel ID is/.test(output));
      },
      15000,
    );
  }

  /** SIGKILL, as a crashed machine would: no goodbye to clients or to the rest of the topology. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** A short-lived admin connection to one node (not through any gateway code). */
async function withNode<T>(port: number, password: string, use: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  node.on('error', () => undefined);
  try {
    await node.connect();
    return await use(node);
  } finally {
    node.disconnect();
  }
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 60000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`redis-cli failed: ${stderr || stdout}`)) : resolve(stdout),
    );
  });
}

/** A data node's common flags: loopback only, no persistence, a password (tests generate it). */
function dataNodeArgs(port: number, dir: string, password: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--requirepass',
    password,
    '--masterauth',
    password,
  ];
}

/**
 * A Redis Cluster of 3 masters and 3 replicas on loopback (`--cluster-enabled yes`, joined with
 * `redis-cli --cluster create --cluster-replicas 1`), with a 1 s node timeout so a killed master's
 * replica is promoted within a few seconds. Resolves once every node agrees the cluster is ok and
 * every replica is in sync.
 */
export class RedisClusterTopology {
  readonly password = randomSecret(18);
  private readonly root = mkdtempSync(join(tmpdir(), 'gw-cluster-'));
  private nodes: RedisProcess[] = [];

  static async start(): Promise<RedisClusterTopology> {
    const cluster = new RedisClusterTopology();
    try {
      await cluster.boot();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  private async boot(): Promise<void> {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const dir = join(this.root, String(port));
      mkdirSync(dir);
      const args = [
        ...dataNodeArgs(port, dir, this.password),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
        '--cluster-node-timeout',
        '1000',
        // A replica may always take over, however long its master has been gone (tests hold failovers).
        '--cluster-replica-validity-factor',
        '0',
      ];
      this.nodes.push(new RedisProcess(port, dir, args));
    }
    await Promise.all(this.nodes.map((node) => node.start()));
    await runCli([
      '-a',
      this.password,
      '--no-auth-warning',
      '--cluster',
      'create',
      ...this.nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await this.waitHealthy();
  }

  /** Ports of the nodes still running. */
  get livePorts(): number[] {
    return this.nodes.filter((node) => node.running).map((node) => node.port);
  }

  /** REDIS_URL for the gateway: the first node, with the cluster's password. */
  url(password = this.password): string {
    return `redis://:${encodeURIComponent(password)}@127.0.0.1:${must(this.nodes[0], 'a cluster node').port}`;
  }

  /** A URL to the node on `port` alone (not through the cluster), with the cluster's password. */
  nodeUrl(port: number): string {
    return `redis://:${encodeURIComponent(this.password)}@127.0.0.1:${port}`;
  }

  /** REDIS_CLUSTER_NODES: every other node (a seed list that survives the loss of any one node). */
  seedNodes(): string {
    return this.nodes
      .slice(1)
      .map((node) => `127.0.0.1:${node.port}`)
      .join(',');
  }

  /** Ports of the current masters, as a running node reports them. */
  async masterPorts(): Promise<number[]> {
    const port = must(this.livePorts[0], 'a live cluster node');
    const slots = await withNode(port, this.password, (node) => node.cluster('SLOTS'));
    return [...new Set(slots.map((range) => must(range[2], `slot range ${range[0]}'s master`)[1]))];
  }

  /** The port of the master that serves `key` (a full key, prefix included). */
  async masterOf(key: string): Promise<number> {
    const port = must(this.livePorts[0], 'a live cluster node');
    return withNode(port, this.password, async (node) => {
      const slot = Number(await node.cluster('KEYSLOT', key));
      const ranges = await node.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`slot ${slot} has no master`);
      return must(range[2], `slot ${slot}'s master`)[1];
    });
  }

  /** Keys matching `pattern` on the master at `port`. */
  keysOn(port: number, pattern: string): Promise<string[]> {
    return withNode(port, this.password, (node) => node.keys(pattern));
  }

  /** Ports of the replicas of the master at `port`. */
  async replicasOf(port: number): Promise<number[]> {
    const replication = await withNode(port, this.password, (node) => node.info('replication'));
    return [...replication.matchAll(/^slave\d+:.*port=(\d+)/gm)].map((m) => Number(m[1]));
  }

  /**
   * Forbids (or allows again) the replicas of `master` to take over: a test can then observe the
   * gateway during a master's absence for as long as it needs, and release the failover after.
   */
  async holdFailover(replicas: number[], hold: boolean): Promise<void> {
    for (const port of replicas) {
      await withNode(port, this.password, (node) =>
        node.config('SET', 'cluster-replica-no-failover', hold ? 'yes' : 'no'),
      );
    }
  }

  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no node on port ${port}`);
    await node.kill();
  }

  /** Every running node says cluster_state:ok with all 16384 slots served, and every replica is in sync. */
  async waitHealthy(timeoutMs = 60000): Promise<void> {
    await waitUntil(
      'the cluster to be healthy',
      async () => {
        for (const port of this.livePorts) {
          const ok = await withNode(port, this.password, async (node) => {
            const info = (await node.cluster('INFO')) as string;
            if (infoField(info, 'cluster_state') !== 'ok' || infoField(info, 'cluster_slots_ok') !== '16384') {
              return false;
            }
            const replication = await node.info('replication');
            if (infoField(replication, 'role') === 'slave')
              return infoField(replication, 'master_link_status') === 'up';
            return true;
          });
          if (!ok) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * A Sentinel-managed primary on loopback: 1 master, 1 replica and 3 sentinels (quorum 2) with a
 * 1 s down-after and a 2 s failover timeout. Data nodes and sentinels each have their own password.
 */
export class RedisSentinelTopology {
  readonly masterName = 'gwprimary';
  readonly password = randomSecret(18);
  readonly sentinelPassword = randomSecret(18);
  private readonly root = mkdtempSync(join(tmpdir(), 'gw-sentinel-'));
  private data: RedisProcess[] = [];
  private sentinels: RedisProcess[] = [];

  static async start(): Promise<RedisSentinelTopology> {
    const topology = new RedisSentinelTopology();
    try {
      await topology.boot();
    } catch (error) {
      await topology.destroy();
      throw error;
    }
    return topology;
  }

  private async boot(): Promise<void> {
    const masterPort = await freePort();
    const replicaPort = await freePort();
    for (const port of [masterPort, replicaPort]) {
      const dir = join(this.root, String(port));
      mkdirSync(dir);
      const args = dataNodeArgs(port, dir, this.password);
      if (port === replicaPort) args.push('--replicaof', '127.0.0.1', String(masterPort));
      this.data.push(new RedisProcess(port, dir, args));
    }
    await Promise.all(this.data.map((node) => node.start()));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = join(this.root, String(port));
      mkdirSync(dir);
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `requirepass ${this.sentinelPassword}`,
          `sentinel sentinel-pass ${this.sentinelPassword}`,
          `sentinel monitor ${this.masterName} 127.0.0.1 ${masterPort} 2`,
          `sentinel auth-pass ${this.masterName} ${this.password}`,
          `sentinel down-after-milliseconds ${this.masterName} 1000`,
          `sentinel failover-timeout ${this.masterName} 2000`,
          `sentinel parallel-syncs ${this.masterName} 1`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      this.sentinels.push(new RedisProcess(port, dir, [conf, '--sentinel']));
    }
    await Promise.all(this.sentinels.map((node) => node.start()));
    await this.waitHealthy();
  }

  /** REDIS_SENTINELS for the gateway. */
  sentinelList(): string {
    return this.sentinels.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  /** REDIS_URL for the gateway in sentinel mode: only the credentials and db count; the host is a placeholder. */
  url(password = this.password): string {
    return `redis://:${encodeURIComponent(password)}@127.0.0.1:${must(this.data[0], 'a data node').port}/0`;
  }

  /** The port the sentinels currently name as the master. */
  async masterPort(): Promise<number> {
    const sentinel = this.sentinels.find((node) => node.running);
    if (!sentinel) throw new Error('no sentinel running');
    const address = await withNode(sentinel.port, this.sentinelPassword, (node) =>
      node.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName),
    );
    return Number((address as string[])[1]);
  }

  /** The data node that is not the current master. */
  async replicaPort(): Promise<number> {
    const master = await this.masterPort();
    const replica = this.data.find((node) => node.port !== master);
    if (!replica) throw new Error('no replica');
    return replica.port;
  }

  /**
   * Makes the replica unpromotable (replica-priority 0) or promotable again: a test can then observe
   * the gateway while the primary is gone for as long as it needs, and release the failover after.
   */
  async holdFailover(hold: boolean): Promise<void> {
    await withNode(await this.replicaPort(), this.password, (node) =>
      node.config('SET', 'replica-priority', hold ? '0' : '100'),
    );
  }

  async kill(port: number): Promise<void> {
    const node = this.data.find((n) => n.port === port);
    if (!node) throw new Error(`no data node on port ${port}`);
    await node.kill();
  }

  /** Starts a killed data node again (empty: no persistence); the sentinels make it a replica of the new master. */
  async restart(port: number): Promise<void> {
    const node = this.data.find((n) => n.port === port);
    if (!node) throw new Error(`no data node on port ${port}`);
    await node.start();
  }

  /**
   * Every sentinel knows the other two and a replica, the master is up and its replica is in sync,
   * so a failover can be authorized and has a replica to promote.
   */
  async waitHealthy(timeoutMs = 60000): Promise<void> {
    await waitUntil(
      'the sentinel set to be healthy',
      async () => {
        const master = await this.masterPort();
        const synced = await withNode(master, this.password, async (node) => {
          const replication = await node.info('replication');
          return infoField(replication, 'role') === 'master' && /state=online/.test(replication);
        });
        if (!synced) return false;
        for (const sentinel of this.sentinels) {
          const ok = await withNode(sentinel.port, this.sentinelPassword, async (node) => {
            const fields = (await node.call('SENTINEL', 'MASTER', this.masterName)) as string[];
            const get = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
            if (get('num-other-sentinels') !== '2' || get('port') !== String(master)) return false;
            if (/down|failover/.test(get('flags') ?? '')) return false;
            // A promotable replica: seen up (not just listed, like a dead former primary) and linked.
            const replicas = (await node.call('SENTINEL', 'REPLICAS', this.masterName)) as string[][];
            return replicas.some((fields) => {
              const field = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
              return field('flags') === 'slave' && field('master-link-status') === 'ok';
            });
          });
          if (!ok) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  /**
   * What each running sentinel says about the master (address, flags, the sentinels it knows)
   * and its replicas, and which data nodes run: logged when a gateway did not heal, to tell a
   * failover that never happened from a gateway that did not follow one.
   */
  async describe(): Promise<string> {
    const field = (fields: string[], name: string): string => {
      const at = fields.indexOf(name);
      return at < 0 ? '?' : (fields[at + 1] ?? '?');
    };
    const lines: string[] = [];
    for (const sentinel of this.sentinels.filter((node) => node.running)) {
      const line = await withNode(sentinel.port, this.sentinelPassword, async (node) => {
        const master = (await node.call('SENTINEL', 'MASTER', this.masterName)) as string[];
        const replicas = (await node.call('SENTINEL', 'REPLICAS', this.masterName)) as string[][];
        const seen = replicas
          .map((r) => `${field(r, 'port')} ${field(r, 'flags')} link=${field(r, 'master-link-status')}`)
          .join(', ');
        return (
          `master ${field(master, 'port')} flags=${field(master, 'flags')} ` +
          `other-sentinels=${field(master, 'num-other-sentinels')}; replicas: ${seen || 'none'}`
        );
      }).catch((error: unknown) => String(error));
      lines.push(`sentinel ${sentinel.port}: ${line}`);
    }
    const running = this.data.filter((node) => node.running).map((node) => node.port);
    lines.push(`data nodes running: ${running.join(', ') || 'none'}`);
    return lines.join('\n');
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.data].map((node) => node.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }
}
