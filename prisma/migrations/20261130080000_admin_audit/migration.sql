-- The admin audit trail (issue 12): one row per admin action, written in the same transaction as
-- the change. Append-only, enforced by the database itself: UPDATE, DELETE and TRUNCATE raise.

-- CreateTable
CREATE TABLE "admin_audit" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" UUID NOT NULL,
    "target_id" UUID NOT NULL,
    "action" VARCHAR(32) NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "request_id" VARCHAR(128) NOT NULL,
    "client_ip" VARCHAR(64) NOT NULL,

    CONSTRAINT "admin_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "admin_audit_actor_id_id_idx" ON "admin_audit"("actor_id", "id");

-- CreateIndex
CREATE INDEX "admin_audit_target_id_id_idx" ON "admin_audit"("target_id", "id");

-- CreateIndex
CREATE INDEX "admin_audit_action_id_idx" ON "admin_audit"("action", "id");

-- Append-only guard
CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'admin_audit is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER admin_audit_no_update_delete
  BEFORE UPDATE OR DELETE ON "admin_audit"
  FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only();

CREATE TRIGGER admin_audit_no_truncate
  BEFORE TRUNCATE ON "admin_audit"
  FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_append_only();
