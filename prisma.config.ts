import { defineConfig } from 'prisma/config';

// Prisma 7 keeps the datasource URL out of schema.prisma. Only `prisma generate` reads this
// file here; migrations run through `pilote migrate` (src/db/migrate.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/pilote' },
});
