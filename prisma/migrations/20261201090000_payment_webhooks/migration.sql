-- Provider webhooks and status queries. Every webhook event the gateway accepted (signature and
-- timestamp valid, body well formed) is recorded once, in the same transaction as the payment
-- change it caused: the primary key on the provider's event id makes a redelivery a no-op.
CREATE TABLE "payment_webhook_events" (
    "event_id" VARCHAR(255) NOT NULL,
    "type" VARCHAR(64) NOT NULL,
    "outcome" VARCHAR(16) NOT NULL,
    "payment_id" UUID,
    "charge_id" VARCHAR(255),
    "charge_status" VARCHAR(16),
    "event_created_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "payment_webhook_events_pkey" PRIMARY KEY ("event_id"),
    CONSTRAINT "payment_webhook_events_outcome_check"
        CHECK ("outcome" IN ('applied', 'ignored', 'conflict', 'orphan')),
    CONSTRAINT "payment_webhook_events_payment_id_fkey" FOREIGN KEY ("payment_id")
        REFERENCES "payments"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "payment_webhook_events_payment_id_idx" ON "payment_webhook_events"("payment_id");

-- Why a payment ended `failed` when the gateway decided it (a provider refusal, or no charge
-- under its key once its lease had expired); null for every other status.
ALTER TABLE "payments" ADD COLUMN "failure_reason" VARCHAR(32);

-- Webhooks and status answers name a payment by its provider key.
CREATE INDEX "payments_provider_key_idx" ON "payments"("provider_key");

-- Reconciliation now asks about `pending` payments too: the backlog of unsettled payments, due first.
DROP INDEX "payments_unknown_due_idx";
CREATE INDEX "payments_unsettled_due_idx" ON "payments"("next_reconcile_at", "created_at")
    WHERE "status" IN ('unknown', 'pending');
