import { Test } from '@nestjs/testing';
import type { Payment } from '../../../generated/prisma/client';
import { MetricsService } from '../../../platform/metrics/metrics.service';
import { paymentLeaseMs } from '../payment-lease';
import { PaymentSettlement } from '../payment-settlement';
import { transitionFor, type ProviderReport } from '../payment-transitions';
import { paymentsConfig } from '../payments.config';
import { PaymentsRepository } from '../payments.repository';
import { PAYMENT_PROVIDER, type ChargeLookup, type PaymentProvider } from '../provider/payment-provider';
import { ProviderResilience } from '../resilience/provider-resilience';
import { resilienceConfig } from '../resilience/resilience.config';
import { UpstreamUnavailableError } from '../resilience/upstream-errors';
import { PAYMENTS_CLOCK, PaymentReconciler, reconcileBackoffMs } from './payment-reconciler';
import { ReconciliationRepository } from './reconciliation.repository';

/**
 * Module tier: the real reconciler and settlement in a Nest testing module, with in-memory fakes of
 * the repositories and the provider, and a clock the test moves. No database, no HTTP.
 */
const INTERVAL_MS = 30_000;
const POLICIES = { retries: 2, timeoutMs: 2000 };
const LEASE_MS = paymentLeaseMs(POLICIES);

class Store {
  readonly payments = new Map<string, Payment & { lockedUntil: number | null }>();
  add(id: string, status: Payment['status'], at: number): void {
    this.payments.set(id, {
      id,
      userId: 'u',
      amount: 100,
      currency: 'EUR',
      recipientId: 'r',
      reference: null,
      status,
      providerChargeId: status === 'pending' ? `ch_${id}` : null,
      idempotencyKey: `k-${id}`,
      providerKey: id,
      reconcileAttempts: 0,
      nextReconcileAt: null,
      failureReason: null,
      createdAt: new Date(at),
      updatedAt: new Date(at),
      lockedUntil: null,
    });
  }
}

function fakes(store: Store) {
  const payments: Partial<PaymentsRepository> = {
    record: (id: string, report: ProviderReport) => {
      const p = store.payments.get(id)!;
      const t = transitionFor(p, report);
      if (t.kind === 'apply')
        Object.assign(p, { status: t.status, providerChargeId: t.providerChargeId, failureReason: t.failureReason });
      if (t.kind !== 'conflict') p.lockedUntil = null;
      return Promise.resolve({ transition: t, payment: { ...p } });
    },
    release: (payment: Payment) => {
      store.payments.get(payment.id)!.lockedUntil = null;
      return Promise.resolve();
    },
  };
  const reconciliation: Partial<ReconciliationRepository> = {
    leaseDue: (now: Date, leaseMs: number, limit: number) => {
      const due = [...store.payments.values()]
        .filter((p) => ['unknown', 'pending'].includes(p.status))
        .filter((p) => p.lockedUntil === null || p.lockedUntil < now.getTime())
        .filter((p) => !p.nextReconcileAt || p.nextReconcileAt.getTime() <= now.getTime())
        .slice(0, limit);
      for (const p of due) p.lockedUntil = now.getTime() + leaseMs;
      return Promise.resolve(due.map((p) => ({ ...p })));
    },
    recordAttempt: (payment: Payment, nextAt: Date) => {
      const p = store.payments.get(payment.id)!;
      p.reconcileAttempts += 1;
      p.nextReconcileAt = nextAt;
      p.lockedUntil = null;
      return Promise.resolve();
    },
    releaseLeases: () => Promise.resolve(),
  };
  return { payments, reconciliation };
}

async function build(lookup: (key: string) => Promise<ChargeLookup>) {
  const store = new Store();
  const clock = { t: 1_000_000 };
  const { payments, reconciliation } = fakes(store);
  const provider: PaymentProvider = { charge: () => Promise.reject(new Error('the worker never charges')), lookup };
  const resilience: Partial<ProviderResilience> = {
    admitsNewCall: () => true,
    trouble: (error: unknown) => (error instanceof UpstreamUnavailableError ? 'unavailable' : undefined),
  };
  const module = await Test.createTestingModule({
    providers: [
      PaymentReconciler,
      PaymentSettlement,
      { provide: paymentsConfig.KEY, useValue: { reconcileIntervalMs: INTERVAL_MS } },
      { provide: resilienceConfig.KEY, useValue: POLICIES },
      { provide: PaymentsRepository, useValue: payments },
      { provide: ReconciliationRepository, useValue: reconciliation },
      { provide: PAYMENT_PROVIDER, useValue: provider },
      { provide: ProviderResilience, useValue: resilience },
      { provide: MetricsService, useValue: new MetricsService(false) },
      { provide: PAYMENTS_CLOCK, useValue: { now: () => clock.t } },
    ],
  }).compile();
  return { reconciler: module.get(PaymentReconciler), store, clock };
}

describe('PaymentReconciler decisions (module tier, in-memory fakes)', () => {
  it('settles to the status query: a charge is attached, a 404 is failed (never_charged), pending waits', async () => {
    const answers: Record<string, ChargeLookup> = {
      a: {
        kind: 'found',
        chargeId: 'ch_a',
        status: 'succeeded',
        echo: { amount: 100, currency: 'EUR', recipientId: 'r' },
      },
      b: { kind: 'not-found' },
      c: { kind: 'found', chargeId: 'ch_c', status: 'pending', echo: {} },
    };
    const { reconciler, store, clock } = await build((key) => {
      const answer = answers[key];
      return answer ? Promise.resolve(answer) : Promise.reject(new Error(`no answer for ${key}`));
    });
    for (const id of ['a', 'b']) store.add(id, 'unknown', clock.t);
    store.add('c', 'pending', clock.t);
    await reconciler.runOnce();
    expect(store.payments.get('a')).toMatchObject({ status: 'succeeded', providerChargeId: 'ch_a' });
    expect(store.payments.get('b')).toMatchObject({ status: 'failed', failureReason: 'never_charged' });
    expect(store.payments.get('c')).toMatchObject({ status: 'pending', reconcileAttempts: 1 });
  });

  it('backs off per payment, never longer than lease + interval', () => {
    for (let attempts = 1; attempts < 40; attempts++) {
      expect(reconcileBackoffMs(attempts, INTERVAL_MS, LEASE_MS)).toBeLessThanOrEqual(LEASE_MS + INTERVAL_MS);
    }
  });

  it('settles every payment within lease + 2 x interval of the provider answering again (clock driven)', async () => {
    let healedAt = Infinity;
    const lookup = (): Promise<ChargeLookup> =>
      clockRef.t < healedAt
        ? Promise.reject(new UpstreamUnavailableError('payment provider', 'HTTP 503'))
        : Promise.resolve({ kind: 'found', chargeId: 'ch', status: 'succeeded', echo: {} });
    const clockRef = { t: 0 };
    const built = await build((key) =>
      lookup().then((a) => (a.kind === 'found' ? { ...a, chargeId: `ch_${key}` } : a)),
    );
    clockRef.t = built.clock.t;
    const { reconciler, store } = built;
    for (let i = 0; i < 5; i++) store.add(`p${i}`, i % 2 ? 'pending' : 'unknown', built.clock.t);
    const tick = async (): Promise<void> => {
      built.clock.t += INTERVAL_MS;
      clockRef.t = built.clock.t;
      await reconciler.runOnce();
    };
    for (let run = 0; run < 12; run++) await tick(); // a long outage: attempts pile up, backoff grows to its cap
    expect([...store.payments.values()].every((p) => p.reconcileAttempts >= 3)).toBe(true);
    healedAt = built.clock.t;
    let settledAt = -1;
    while (built.clock.t <= healedAt + LEASE_MS + 3 * INTERVAL_MS) {
      await tick();
      if ([...store.payments.values()].every((p) => p.status === 'succeeded')) {
        settledAt = built.clock.t;
        break;
      }
    }
    expect(settledAt).toBeGreaterThan(0);
    expect(settledAt - healedAt).toBeLessThanOrEqual(LEASE_MS + 2 * INTERVAL_MS);
  });
});
