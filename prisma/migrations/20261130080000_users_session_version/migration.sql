-- A per-user counter of session revocations. Access tokens carry the value current when they
-- were issued (claim `sv`); revoke-sessions and disabling increment it, so every access token
-- issued before is refused at its next request (see README, "Identity cache").
ALTER TABLE "users" ADD COLUMN "session_version" INTEGER NOT NULL DEFAULT 0;
