import { defineConfig } from 'prisma/config';

// Migrations run as the table owner: MIGRATION_DATABASE_URL when set, else DATABASE_URL (the
// gateway itself runs as a least-privilege role and never reads MIGRATION_DATABASE_URL; see
// docs/deployment.md, "Database roles"). Both are read from the environment only. `prisma
// generate` needs no database, so an absent URL is tolerated here; `migrate` commands fail with
// Prisma's own message without it.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL || '' },
});
