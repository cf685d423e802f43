import { defineConfig } from 'prisma/config';

// DATABASE_URL is read from the environment only. `prisma generate` needs no database, so an
// absent URL is tolerated here; `migrate` commands fail with Prisma's own message without it.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
