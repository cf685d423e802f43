-- Refresh rotation: fewer checks and index entries per rotation, and a plan made once per
-- connection that cannot degrade as the token tables grow (docs/performance.md, "Refresh rotation").

-- A token's user is its family's user: one composite foreign key replaces the token's two (family,
-- user). It is stronger (a token can no longer name another user than its family's) and cheaper
-- (one check per inserted token, on the family row the rotation already holds, and no lock on the
-- users row). Deleting a user still removes the user's families (refresh_families_user_id_fkey)
-- and with them their tokens (this key, ON DELETE CASCADE).
CREATE UNIQUE INDEX "refresh_families_id_user_id_key" ON "refresh_families"("id", "user_id");

ALTER TABLE "refresh_tokens" DROP CONSTRAINT "refresh_tokens_family_id_fkey";
ALTER TABLE "refresh_tokens" DROP CONSTRAINT "refresh_tokens_user_id_fkey";
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_family_id_user_id_fkey"
  FOREIGN KEY ("family_id", "user_id") REFERENCES "refresh_families"("id", "user_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- No statement reads refresh_tokens by user or by expiry: revocation goes through the families
-- (refresh_families_user_id_idx, then refresh_tokens_family_id_idx), expiry is the family's, and the
-- cleanup deletes families (refresh_families_expires_at_idx) whose tokens the cascade finds by
-- family_id. Each index cost an entry per issued token.
DROP INDEX "refresh_tokens_user_id_idx";
DROP INDEX "refresh_tokens_expires_at_idx";

-- The rotation (see RefreshTokenRepository.rotate): retires the live token whose hash is one of
-- p_hashes and inserts its successor p_successor_id/p_successor_hash in its family; no row if no
-- token was live, its family is revoked or expired, or its user disabled. In order, in the caller's
-- READ COMMITTED transaction (one statement of the caller: its own transaction):
--   1. the token, its family and its user, by its hash;
--   2. the family row, locked (FOR NO KEY UPDATE) and required unrevoked and unexpired: a lock that
--      waited for a revocation or another rotation of the family reads the committed row;
--   3. the user, required enabled;
--   4. the compare-and-swap: the token retired only if it is still unused, unrevoked, unexpired
--      (a statement after the lock, so its snapshot has whatever a rotation or revocation that
--      held the lock before committed; a concurrent writer of the token row is re-checked);
--   5. the successor, in the same family (parent_id is unique: a family never forks).
-- Every statement reads one table by a key given to it, so a plan has nothing to choose but which
-- index of that key; with sequential scans off, no plan can scan a table whole, whatever its size
-- when the plan was made. plpgsql keeps each statement's plan for the connection, and
-- force_generic_plan makes it once instead of re-planning per call. SECURITY INVOKER: it runs with
-- the caller's privileges on the three tables.
CREATE FUNCTION gateway_rotate_refresh_token(p_hashes text[], p_successor_id uuid, p_successor_hash text)
  RETURNS TABLE (user_id text, family_id text, expires_at timestamptz, token_hash text, role text, session_version integer)
  LANGUAGE plpgsql
  SET enable_seqscan = off
  SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  v_family uuid;
  v_user uuid;
  v_token uuid;
  v_expires timestamptz;
  v_hash text;
  v_role text;
  v_version integer;
  v_disabled boolean;
BEGIN
  SELECT t.id, t.family_id, t.user_id, t.token_hash INTO v_token, v_family, v_user, v_hash
    FROM refresh_tokens AS t WHERE t.token_hash = ANY (p_hashes);
  IF NOT FOUND THEN
    RETURN;
  END IF;

  PERFORM FROM refresh_families AS f
   WHERE f.id = v_family AND f.revoked_at IS NULL AND f.expires_at > now()
     FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  SELECT u.role::text, u.session_version, u.disabled INTO v_role, v_version, v_disabled
    FROM users AS u WHERE u.id = v_user;
  IF NOT FOUND OR v_disabled THEN
    RETURN;
  END IF;

  UPDATE refresh_tokens AS rt SET used_at = now()
   WHERE rt.id = v_token AND rt.used_at IS NULL AND rt.revoked_at IS NULL AND rt.expires_at > now()
  RETURNING rt.expires_at INTO v_expires;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, parent_id, expires_at)
  VALUES (p_successor_id, p_successor_hash, v_family, v_user, v_token, v_expires);

  user_id := v_user::text;
  family_id := v_family::text;
  expires_at := v_expires;
  token_hash := v_hash;
  role := v_role;
  session_version := v_version;
  RETURN NEXT;
END
$$;

-- Names resolve in the gateway's schema only, as in every function of this schema.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION gateway_rotate_refresh_token(text[], uuid, text) SET search_path = %I, pg_temp', current_schema());
END
$$;

REVOKE ALL ON FUNCTION gateway_rotate_refresh_token(text[], uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gateway_rotate_refresh_token(text[], uuid, text) TO gateway_runtime;
