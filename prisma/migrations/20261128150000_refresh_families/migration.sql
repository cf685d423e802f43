-- Refresh-token families get their own row. Rotation locks the family row and requires it to be
-- unrevoked; revocation marks the family row first and revokes its tokens in a later statement
-- of the same transaction. That common row closes the race in which a revocation blocked on a
-- rotating token's row missed the successor the rotation inserted (see README, "Refresh tokens").

-- CreateTable
CREATE TABLE "refresh_families" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "revoke_reason" VARCHAR(32),

    CONSTRAINT "refresh_families_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "refresh_families_user_id_idx" ON "refresh_families"("user_id");

-- CreateIndex
CREATE INDEX "refresh_families_expires_at_idx" ON "refresh_families"("expires_at");

-- Backfill: one family per existing family_id. Revocation always targeted whole families, so a
-- family with any revoked token is a revoked family (the earliest revocation decides when and why).
INSERT INTO "refresh_families" ("id", "user_id", "created_at", "expires_at", "revoked_at", "revoke_reason")
SELECT "family_id",
       "user_id",
       min("issued_at"),
       max("expires_at"),
       min("revoked_at"),
       (array_agg("revoke_reason" ORDER BY "revoked_at") FILTER (WHERE "revoked_at" IS NOT NULL))[1]
  FROM "refresh_tokens"
 GROUP BY "family_id", "user_id";

-- Backfill: a successor that escaped a revocation through the race this migration fixes is
-- revoked now, with its family's time and reason.
UPDATE "refresh_tokens" AS t
   SET "revoked_at" = f."revoked_at", "revoke_reason" = f."revoke_reason"
  FROM "refresh_families" AS f
 WHERE t."family_id" = f."id" AND f."revoked_at" IS NOT NULL AND t."revoked_at" IS NULL;

-- AddForeignKey
ALTER TABLE "refresh_families" ADD CONSTRAINT "refresh_families_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_family_id_fkey" FOREIGN KEY ("family_id") REFERENCES "refresh_families"("id") ON DELETE CASCADE ON UPDATE CASCADE;
