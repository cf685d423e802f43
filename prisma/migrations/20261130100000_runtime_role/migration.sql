-- The runtime role. Migrations run as the table owner (MIGRATION_DATABASE_URL); the gateway runs as
-- a login role that is a member of gateway_runtime, which gets exactly the privileges the code
-- uses: no DDL, no ownership, no DELETE on payments, only INSERT and SELECT on admin_audit. Every
-- later migration that adds a table, sequence or function grants what the gateway needs on it in
-- the same migration (ALTER DEFAULT PRIVILEGES is not used: each grant is a decision), and the
-- gateway's boot check (src/platform/database/runtime-privileges.ts) lists the same grants.

-- Roles are cluster-wide: create it once, and tolerate another database of the same cluster
-- creating it at the same moment (a concurrent creator surfaces as either error). An operator
-- whose owner role may not create roles creates gateway_runtime beforehand (docs/deployment.md).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'gateway_runtime') THEN
    CREATE ROLE gateway_runtime NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- The schema these tables live in (public by default; PUBLIC already has USAGE there).
DO $$
BEGIN
  IF NOT has_schema_privilege('gateway_runtime', current_schema(), 'USAGE') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO gateway_runtime', current_schema());
  END IF;
END
$$;

-- users: logins and identity reads, admin changes and session versions (UPDATE also backs the
-- SELECT ... FOR UPDATE of the last-admin rule), user:create.
GRANT SELECT, INSERT, UPDATE ON "users" TO gateway_runtime;

-- Refresh tokens: issue, rotate, revoke. Expired families are deleted by the cleanup; their tokens
-- go with them through the foreign key (ON DELETE CASCADE runs with the table owner's rights), so
-- the tokens table needs no DELETE.
GRANT SELECT, INSERT, UPDATE ON "refresh_tokens" TO gateway_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON "refresh_families" TO gateway_runtime;

-- Payments and their idempotency keys: create, settle, lease, list. No DELETE: see below.
GRANT SELECT, INSERT, UPDATE ON "payments" TO gateway_runtime;
GRANT SELECT, INSERT, UPDATE ON "idempotency_keys" TO gateway_runtime;

-- The audit trail: append and read, nothing else (the trigger of 20261130080000_admin_audit stays
-- as a second wall; the runtime role can neither change rows nor disable triggers).
GRANT SELECT, INSERT ON "admin_audit" TO gateway_runtime;
GRANT USAGE ON SEQUENCE "admin_audit_id_seq" TO gateway_runtime;

-- What a payment's row may become. The runtime role may UPDATE payments (settlement,
-- reconciliation), so the invariants that matter to a ledger are the table's, not the code's:
-- what was asked for never changes, a status never returns to `unknown`, a final status
-- (succeeded, failed) is final, a charge id once attached stays, and the count of failed
-- reconciliation attempts only grows. A data fix that must break one of these is a migration run
-- by the owner, who can disable this trigger for it.
CREATE FUNCTION payments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."id" IS DISTINCT FROM OLD."id" OR NEW."user_id" IS DISTINCT FROM OLD."user_id"
     OR NEW."amount" IS DISTINCT FROM OLD."amount" OR NEW."currency" IS DISTINCT FROM OLD."currency"
     OR NEW."recipient_id" IS DISTINCT FROM OLD."recipient_id" OR NEW."reference" IS DISTINCT FROM OLD."reference"
     OR NEW."idempotency_key" IS DISTINCT FROM OLD."idempotency_key"
     OR NEW."provider_key" IS DISTINCT FROM OLD."provider_key" OR NEW."created_at" IS DISTINCT FROM OLD."created_at" THEN
    RAISE EXCEPTION 'payments: what a payment asked for never changes (payment %)', OLD."id";
  END IF;
  IF NEW."status" IS DISTINCT FROM OLD."status"
     AND (NEW."status" = 'unknown' OR OLD."status" IN ('succeeded', 'failed')) THEN
    RAISE EXCEPTION 'payments: status % cannot become % (payment %)', OLD."status", NEW."status", OLD."id";
  END IF;
  IF OLD."provider_charge_id" IS NOT NULL AND NEW."provider_charge_id" IS DISTINCT FROM OLD."provider_charge_id" THEN
    RAISE EXCEPTION 'payments: an attached charge id never changes (payment %)', OLD."id";
  END IF;
  IF NEW."reconcile_attempts" < OLD."reconcile_attempts" THEN
    RAISE EXCEPTION 'payments: reconcile_attempts never decreases (payment %)', OLD."id";
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER payments_guard BEFORE UPDATE ON "payments" FOR EACH ROW EXECUTE FUNCTION payments_guard();

-- The one removal of a payment the gateway makes: a payment created by a request whose provider
-- call was refused before it left the gateway (breaker or bulkhead), so the refusal is the whole
-- truth and a retry with the same key starts over. The runtime role has no DELETE on payments; it
-- calls this function, which runs with the owner's rights and removes the payment (and its key,
-- by cascade) only while it has never been anything but `unknown`: no charge attached, no answer
-- stored, no reconciliation attempt. The guard above keeps the runtime role from forging that state.
CREATE FUNCTION gateway_discard_unsent_payment(p_payment_id uuid) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  removed integer;
BEGIN
  DELETE FROM "payments" AS p
   USING "idempotency_keys" AS k
   WHERE p."id" = p_payment_id AND k."payment_id" = p."id"
     AND p."status" = 'unknown' AND p."provider_charge_id" IS NULL AND p."reconcile_attempts" = 0
     AND k."response_status" IS NULL;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed = 1;
END;
$$;

-- A SECURITY DEFINER function resolves names only in its own schema, then pg_temp, never in a
-- schema the caller controls.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION gateway_discard_unsent_payment(uuid) SET search_path = %I, pg_temp', current_schema());
END
$$;

REVOKE ALL ON FUNCTION gateway_discard_unsent_payment(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gateway_discard_unsent_payment(uuid) TO gateway_runtime;
