import { hash, Algorithm } from '@node-rs/argon2';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'node:http';
import { freePort, withClient } from '../../tools/harness';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { GATEWAY_SCRIPT, spawnServer } from '../lib/servers';
import { quantile, round } from '../lib/stats';
import { assertGuessResistant, warmUpPasswordStrength } from '../../src/features/users';

/** The lockout settings under attack: the defaults of the contract. */
const LOCKOUT = {
  LOCKOUT_THRESHOLD: 5,
  LOCKOUT_DURATION_SECONDS: 900,
  LOCKOUT_ACCOUNT_THRESHOLD: 50,
  LOGIN_CLIENT_FAILURE_LIMIT: 20,
};
const STUFFING_CLIENTS = 50;
const STUFFED_ACCOUNTS = 200;
/** Legitimate users, each logging into its own account from its own (known) address, back to back. */
const BYSTANDERS = 8;
const VICTIM_ATTACKERS = 20;
/** The stuffing phase ends once every attacking address is refused (429), or after this long. */
const STUFFING_CAP_MS = 180_000;

type Tally = Record<string, number>;

interface PhaseFigures {
  seconds: number;
  /** Attack requests answered, by status. */
  attackStatuses: Tally;
  /** argon2 verifications during the phase (the gateway's own counter). */
  passwordsVerified: number;
  /** The most verifications any one account took, and the per-hour ceiling (one window's budget every LOCKOUT_DURATION_SECONDS). */
  perAccountPerHour: number;
}

export interface AttackFigures {
  lockout: typeof LOCKOUT;
  baseline: { bystanderLoginsPerSecond: number; bystanderStatuses: Tally };
  stuffing: PhaseFigures & {
    clients: number;
    accounts: number;
    /** Attacking addresses refused (429) by the end of the phase: their whole budget was spent. */
    clientsExhausted: number;
    /** The users' logins while the attackers' budgets last, and once all are spent (attackers still sending). */
    bystanderLoginsPerSecondAfter: number;
    bystanderStatusesAfter: Tally;
    /** All verifications spread over the accounts, per hour (one window's budget each LOCKOUT_DURATION_SECONDS). */
    meanPerAccountPerHour: number;
    bystanderLoginsPerSecond: number;
    bystanderStatuses: Tally;
  };
  spraying: PhaseFigures & { accountsTried: number };
  victim: PhaseFigures & { attackers: number; victimLogins: number; victimSuccessRate: number; victimStatuses: Tally };
  /** zxcvbn, measured in this process: dictionary load, and one check (only when a password is set). */
  passwordCheck: PasswordCheckFigures;
}

interface PasswordCheckFigures {
  loadMs: number;
  heapMiB: number;
  random24: { p50: number; p99: number };
  worst128: { p50: number; max: number };
}

/** The cost of the guessable-password check, as the admin route and user:create pay it. */
async function measurePasswordCheck(): Promise<PasswordCheckFigures> {
  const heap0 = process.memoryUsage().heapUsed;
  let t = performance.now();
  await warmUpPasswordStrength();
  const loadMs = round(performance.now() - t, 0);
  const heapMiB = round((process.memoryUsage().heapUsed - heap0) / 1048576, 0);
  const time = async (password: string): Promise<number> => {
    t = performance.now();
    await assertGuessResistant(password, ['someone@example.test']).catch(() => undefined);
    return performance.now() - t;
  };
  const random: number[] = [];
  for (let i = 0; i < 100; i++) random.push(await time(randomBytes(18).toString('base64url')));
  const worst: number[] = [];
  for (let i = 0; i < 10; i++) {
    worst.push(
      await time(Array.from({ length: 128 }, (_, j) => String.fromCharCode(33 + ((j * 7919 + i) % 90))).join('')),
    );
  }
  return {
    loadMs,
    heapMiB,
    random24: { p50: round(quantile(random, 0.5), 1), p99: round(quantile(random, 0.99), 1) },
    worst128: { p50: round(quantile(worst, 0.5), 1), max: round(Math.max(...worst), 1) },
  };
}

/** One HTTP exchange from a chosen loopback source address (each 127.0.0.x is its own client). */
function post(agent: Agent, url: string, path: string, body: unknown): Promise<number> {
  const target = new URL(path, url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A keep-alive client bound to one source address. */
function client(address: string): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1, localAddress: address });
}

async function counter(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

const count = (tally: Tally, status: number): void => void (tally[status] = (tally[status] ?? 0) + 1);

class Stop extends Error {}

/** Runs `step` back to back until `until`, each loop on its own (closed loops, as real clients). */
async function loop(until: number, step: () => Promise<void>): Promise<void> {
  while (Date.now() < until) await step();
}

/**
 * Credential attacks against a gateway with the default lockout settings (its own instance, with
 * the rate limits raised so only the lockout acts), every client on its own 127.0.0.x source
 * address: credential stuffing from 50 addresses against 200 accounts while legitimate users log
 * in; spraying one password from one address across accounts; an attempt to lock one victim out
 * while the victim logs in every second. Reports what an attacker gets verified, the victim's
 * success rate and everyone else's login throughput.
 */
export async function attack(ctx: BenchContext): Promise<ScenarioResult<AttackFigures>> {
  const { log, settings } = ctx;
  if (!ctx.routes.login) return { status: 'skipped', reason: ctx.authMissing };
  const phaseMs = Math.max(10, settings.duration * 2) * 1000;
  const passwordCheck = await measurePasswordCheck();
  log(
    `  password check: load ${passwordCheck.loadMs} ms, ${passwordCheck.heapMiB} MiB heap; random 24 chars p50 ${passwordCheck.random24.p50} ms`,
  );
  const metricsPort = await freePort();
  const gateway = await spawnServer({
    label: 'attack gateway',
    script: GATEWAY_SCRIPT,
    env: {
      ...ctx.gatewayEnv,
      // A key space of its own: the main gateway's counters stay out of it.
      REDIS_KEY_PREFIX: `${ctx.gatewayEnv.REDIS_KEY_PREFIX}attack:`,
      ...Object.fromEntries(Object.entries(LOCKOUT).map(([k, v]) => [k, String(v)])),
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
    },
    readyPath: '/health/ready',
  });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const verified = (): Promise<number> => counter(metricsUrl, 'gateway_password_verifications_total');
  const agents: Agent[] = [];
  const agentFor = (address: string): Agent => {
    const agent = client(address);
    agents.push(agent);
    return agent;
  };

  try {
    // Accounts: one argon2 hash shared by all (the attack never guesses right; bystanders use it).
    const password = `bench-${randomUUID()}`;
    const passwordHash = await hash(password, { algorithm: Algorithm.Argon2id, memoryCost: 19 * 1024, timeCost: 2 });
    const emails = (n: number, tag: string): string[] =>
      Array.from({ length: n }, (_, i) => `attack-${tag}-${i}-${randomUUID().slice(0, 8)}@bench.invalid`);
    const stuffed = emails(STUFFED_ACCOUNTS, 'stuffed');
    const bystanders = emails(BYSTANDERS, 'bystander');
    const [victim] = emails(1, 'victim');
    await withClient(ctx.database.url, async (db) => {
      for (const email of [...stuffed, ...bystanders, victim]) {
        await db.query(
          `INSERT INTO users (id, email, password_hash, role, updated_at) VALUES ($1, $2, $3, 'user', now())`,
          [randomUUID(), email, passwordHash],
        );
      }
    });
    const url = gateway.url;
    const bystanderAgents = bystanders.map((_, i) => agentFor(`127.0.0.${201 + i}`));
    const victimAgent = agentFor('127.0.0.190');
    // Known clients: each legitimate user has logged in from its address before.
    for (const [i, email] of bystanders.entries())
      await post(bystanderAgents[i]!, url, '/v1/auth/login', { email, password });
    await post(victimAgent, url, '/v1/auth/login', { email: victim, password });

    const bystanderLoad = async (ms: number): Promise<{ perSecond: number; statuses: Tally }> => {
      const statuses: Tally = {};
      const started = Date.now();
      const until = started + ms;
      await Promise.all(
        bystanders.map((email, i) =>
          loop(until, async () =>
            count(statuses, await post(bystanderAgents[i]!, url, '/v1/auth/login', { email, password })),
          ),
        ),
      );
      const ok = statuses[200] ?? 0;
      return { perSecond: round(ok / ((Date.now() - started) / 1000), 1), statuses };
    };

    // Baseline: the legitimate users alone.
    const baseline = await bystanderLoad(Math.min(phaseMs, 5000));
    log(`  baseline: ${baseline.perSecond} logins/s for ${BYSTANDERS} users ${JSON.stringify(baseline.statuses)}`);

    // 1. Credential stuffing: 50 addresses, 200 accounts, leaked (wrong) passwords, while users log in.
    // It lasts until every attacking address has spent its budget (429), then 5 s more.
    const stuffingStatuses: Tally = {};
    const perAccount = new Map<string, number>();
    const exhausted = new Set<number>();
    let v0 = await verified();
    let started = Date.now();
    let until = started + STUFFING_CAP_MS;
    let attacking = true;
    const attackers = Array.from({ length: STUFFING_CLIENTS }, async (_, c) => {
      const agent = agentFor(`127.0.0.${101 + c}`);
      let n = c * 4;
      while (attacking) {
        const email = stuffed[n++ % stuffed.length] ?? '';
        const status = await post(agent, url, '/v1/auth/login', { email, password: `leaked-${randomUUID()}` });
        count(stuffingStatuses, status);
        if (status === 401) perAccount.set(email, (perAccount.get(email) ?? 0) + 1);
        if (status === 429) exhausted.add(c);
        if (exhausted.size === STUFFING_CLIENTS && until > Date.now()) until = Date.now();
      }
    });
    const during = await (async () => {
      const statuses: Tally = {};
      await Promise.all(
        bystanders.map((email, i) =>
          loop(Number.POSITIVE_INFINITY, async () => {
            if (Date.now() >= until) throw new Stop();
            count(statuses, await post(bystanderAgents[i]!, url, '/v1/auth/login', { email, password }));
          }).catch((error: unknown) => {
            if (!(error instanceof Stop)) throw error;
          }),
        ),
      );
      return { perSecond: round((statuses[200] ?? 0) / ((Date.now() - started) / 1000), 1), statuses };
    })();
    const stuffingSeconds = (Date.now() - started) / 1000;
    const after = await bystanderLoad(5000);
    attacking = false;
    await Promise.all(attackers);
    // The users' successful logins are verifications too: the attackers' are the rest.
    const stuffingVerified = (await verified()) - v0 - (during.statuses[200] ?? 0) - (after.statuses[200] ?? 0);
    const windowsPerHour = 3600 / LOCKOUT.LOCKOUT_DURATION_SECONDS;
    const stuffing = {
      seconds: round(stuffingSeconds, 1),
      clients: STUFFING_CLIENTS,
      accounts: STUFFED_ACCOUNTS,
      attackStatuses: stuffingStatuses,
      passwordsVerified: stuffingVerified,
      perAccountPerHour: round(Math.max(0, ...perAccount.values()) * windowsPerHour, 1),
      meanPerAccountPerHour: round((stuffingVerified / STUFFED_ACCOUNTS) * windowsPerHour, 1),
      clientsExhausted: exhausted.size,
      bystanderLoginsPerSecond: during.perSecond,
      bystanderStatuses: during.statuses,
      bystanderLoginsPerSecondAfter: after.perSecond,
      bystanderStatusesAfter: after.statuses,
    };
    log(
      `  stuffing (${stuffing.seconds} s): ${JSON.stringify(stuffingStatuses)}, ${stuffingVerified} verified, ${exhausted.size} addresses spent; users ${during.perSecond} logins/s ${JSON.stringify(during.statuses)}, then ${after.perSecond} ${JSON.stringify(after.statuses)}`,
    );

    // 2. Spraying: one password from one address, a new account each time (real ones, then unknown).
    const sprayStatuses: Tally = {};
    const sprayer = agentFor('127.0.0.160');
    let tried = 0;
    v0 = await verified();
    started = Date.now();
    until = started + phaseMs;
    await loop(until, async () => {
      const email = tried < stuffed.length ? stuffed[stuffed.length - 1 - tried] : `spray-${tried}@bench.invalid`;
      tried += 1;
      count(sprayStatuses, await post(sprayer, url, '/v1/auth/login', { email, password: 'Summer2024!' }));
    });
    const sprayVerified = (await verified()) - v0;
    const spraying = {
      seconds: round((Date.now() - started) / 1000, 1),
      accountsTried: tried,
      attackStatuses: sprayStatuses,
      passwordsVerified: sprayVerified,
      // Each account was tried at most once; the address's whole budget is LOGIN_CLIENT_FAILURE_LIMIT per window.
      perAccountPerHour: round(Math.min(1, sprayVerified) * windowsPerHour, 1),
    };
    log(`  spraying: ${tried} tried, ${JSON.stringify(sprayStatuses)}, ${sprayVerified} verified`);

    // 3. Lockout attempt: 20 addresses hammer one victim while the victim logs in every second.
    const victimStatuses: Tally = {};
    const attackStatuses: Tally = {};
    v0 = await verified();
    started = Date.now();
    until = started + phaseMs;
    await Promise.all([
      (async () => {
        while (Date.now() < until) {
          const tick = Date.now();
          count(victimStatuses, await post(victimAgent, url, '/v1/auth/login', { email: victim, password }));
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - tick))));
        }
      })(),
      ...Array.from({ length: VICTIM_ATTACKERS }, async (_, c) => {
        const agent = agentFor(`127.0.0.${170 + c}`);
        await loop(until, async () =>
          count(attackStatuses, await post(agent, url, '/v1/auth/login', { email: victim, password: 'guess-123456' })),
        );
      }),
    ]);
    const victimVerified = (await verified()) - v0;
    const victimLogins = Object.values(victimStatuses).reduce((a, b) => a + b, 0);
    const victimFigures = {
      seconds: round((Date.now() - started) / 1000, 1),
      attackers: VICTIM_ATTACKERS,
      attackStatuses,
      // The victim's own logins are verifications too; the attackers' are the rest.
      passwordsVerified: victimVerified - victimLogins,
      perAccountPerHour: round((victimVerified - victimLogins) * windowsPerHour, 1),
      victimLogins,
      victimSuccessRate: victimLogins ? round((victimStatuses[200] ?? 0) / victimLogins, 3) : 0,
      victimStatuses,
    };
    log(
      `  victim: ${victimFigures.victimSuccessRate * 100}% of ${victimLogins} logins succeeded; attackers ${JSON.stringify(attackStatuses)}, ${victimFigures.passwordsVerified} of their guesses verified`,
    );

    return {
      status: 'ok',
      figures: {
        lockout: LOCKOUT,
        baseline: { bystanderLoginsPerSecond: baseline.perSecond, bystanderStatuses: baseline.statuses },
        stuffing,
        spraying,
        victim: victimFigures,
        passwordCheck,
      },
      target: {
        text: "victim's success rate during the lockout attempt = 100%",
        value: victimFigures.victimSuccessRate,
        met: victimFigures.victimSuccessRate === 1,
      },
      // Valid only when the legitimate logins were all answered 200 and the attackers were refused.
      // (503s under load are the hashing bulkhead: shown in the figures, not a wrong answer.)
      valid:
        [baseline.statuses, during.statuses, after.statuses].every((t) =>
          Object.keys(t).every((s) => s === '200' || s === '503'),
        ) && exhausted.size === STUFFING_CLIENTS,
    };
  } finally {
    for (const agent of agents) agent.destroy();
    await gateway.stop();
  }
}
