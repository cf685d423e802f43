-- Per-payment provider keys (issue 11). The provider's Idempotency-Key used to be the client's raw
-- key; all users share one provider account, so two users with the same key got one charge.
-- From now on every payment carries its own provider key: its id (set by the gateway at insert).

ALTER TABLE "payments" ADD COLUMN "provider_key" VARCHAR(64);
ALTER TABLE "payments" ADD COLUMN "reconcile_attempts" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "payments" ADD COLUMN "next_reconcile_at" TIMESTAMPTZ(3);

-- Payments made under the old scheme keep the key the provider actually saw for them: asking the
-- provider again (a replay or the reconciliation worker) must name the same charge, so these rows
-- get provider_key = their client key. Such keys may repeat across users (that was the bug), so
-- provider_key is not unique; new keys are unique by construction (the payment id).
UPDATE "payments" SET "provider_key" = "idempotency_key";
ALTER TABLE "payments" ALTER COLUMN "provider_key" SET NOT NULL;
ALTER TABLE "payments" ADD CONSTRAINT "payments_provider_key_format" CHECK ("provider_key" ~ '^[A-Za-z0-9_-]{8,64}$');

-- The old "provider-key collision" branch recorded the losing payment as `failed` with a 409
-- replay although its owner may well have been charged. Those records are not trustworthy: they
-- go back to `unknown` (no charge attached, no stored answer), so a replay or the reconciliation
-- worker asks the provider again. The provider answers with the charge made under that key; the
-- gateway attaches it only if the answer matches this payment and the charge backs no other
-- payment, otherwise the payment stays `unknown` and is logged for an operator (docs/payments.md).
UPDATE "payments" AS p SET "status" = 'unknown', "provider_charge_id" = NULL
  FROM "idempotency_keys" AS k
  WHERE k."payment_id" = p."id" AND k."response_status" = 409;
UPDATE "idempotency_keys" SET "response_status" = NULL, "response_body" = NULL, "locked_until" = NULL
  WHERE "response_status" = 409;

-- Listing: a user's payments newest first, with the id as tie-breaker for the cursor.
DROP INDEX "payments_user_id_created_at_idx";
CREATE INDEX "payments_user_id_created_at_id_idx" ON "payments"("user_id", "created_at" DESC, "id" DESC);

-- Reconciliation: the backlog of unknown payments, due first.
CREATE INDEX "payments_unknown_due_idx" ON "payments"("next_reconcile_at", "created_at") WHERE "status" = 'unknown';
