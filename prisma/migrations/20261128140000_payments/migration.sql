-- CreateEnum
CREATE TYPE "PaymentStatus" AS ENUM ('unknown', 'pending', 'succeeded', 'failed');

-- CreateTable
CREATE TABLE "payments" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "recipient_id" UUID NOT NULL,
    "reference" VARCHAR(140),
    "status" "PaymentStatus" NOT NULL DEFAULT 'unknown',
    "provider_charge_id" VARCHAR(255),
    "idempotency_key" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "user_id" UUID NOT NULL,
    "key" VARCHAR(64) NOT NULL,
    "request_hash" CHAR(64) NOT NULL,
    "payment_id" UUID NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "locked_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("user_id","key")
);

-- CreateIndex
CREATE UNIQUE INDEX "payments_provider_charge_id_key" ON "payments"("provider_charge_id");

-- CreateIndex
CREATE INDEX "payments_user_id_created_at_idx" ON "payments"("user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "payments_user_id_idempotency_key_key" ON "payments"("user_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_keys_payment_id_key" ON "idempotency_keys"("payment_id");

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The contract's field rules, as invariants of the table (the API validates first; these stop any
-- other writer). Keys are 8-64 of [A-Za-z0-9_-]; amounts 1..100000000 minor units.
ALTER TABLE "payments" ADD CONSTRAINT "payments_amount_range" CHECK ("amount" BETWEEN 1 AND 100000000);
ALTER TABLE "payments" ADD CONSTRAINT "payments_currency_format" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "payments" ADD CONSTRAINT "payments_idempotency_key_format" CHECK ("idempotency_key" ~ '^[A-Za-z0-9_-]{8,64}$');
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_key_format" CHECK ("key" ~ '^[A-Za-z0-9_-]{8,64}$');
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_request_hash_format" CHECK ("request_hash" ~ '^[0-9a-f]{64}$');
