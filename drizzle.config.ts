import { defineConfig } from 'drizzle-kit';

/** drizzle-kit generates SQL migrations from db/schema; the same files run on Postgres and PGlite. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/index.ts',
  out: './db/migrations',
});
