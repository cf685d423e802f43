import { Injectable } from '@nestjs/common';
import { PaymentBacklog, ReconciliationRepository } from './reconciliation.repository';

/**
 * The `unknown` backlog, for metrics (`gateway_payments_unknown`,
 * `gateway_payments_unknown_oldest_seconds`). One indexed count over the partial index on
 * unknown payments; it counts payments still in flight too (they are `unknown` until answered).
 */
@Injectable()
export class PaymentBacklogMonitor {
  constructor(private readonly repository: ReconciliationRepository) {}

  read(): Promise<PaymentBacklog> {
    return this.repository.backlog();
  }
}
