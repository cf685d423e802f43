-- Emails are also stored in Unicode NFC, so a composed "é" (U+00E9) and a decomposed one
-- ("e" + U+0301) are one email and the unique index sees one value. The gateway normalizes every
-- email where it enters (trim, NFC, lower case); the check makes that an invariant of the table.
--
-- Rows written before this migration are normalized first. If two of them differ only in their
-- normalization form, the UPDATE fails on users_email_key and the migration stops with nothing
-- changed: an operator decides which account keeps the address before migrating again.
UPDATE "users" SET "email" = normalize("email", NFC) WHERE "email" IS NOT NFC NORMALIZED;

ALTER TABLE "users" DROP CONSTRAINT "users_email_normalized";
ALTER TABLE "users" ADD CONSTRAINT "users_email_normalized"
    CHECK ("email" = lower(btrim("email")) AND "email" IS NFC NORMALIZED);
