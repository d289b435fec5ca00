import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { OpenedDatabase } from './client';

/** The drizzle-kit migrations folder; the same SQL runs on Postgres and PGlite. */
export const migrationsFolder = new URL('./migrations', import.meta.url).pathname;
const vectorDdl = readFileSync(new URL('./vector/page-embeddings.sql', import.meta.url), 'utf8')
  .replace(/^\s*--.*$/gm, '')
  .split(';')
  .map((statement) => statement.trim())
  .filter((statement) => statement.length > 0);
/** Serialises concurrent migrators (several nodes starting at once) on one Postgres. */
const MIGRATION_LOCK = 0x4a05_0001;

/** Applies the drizzle-kit migrations, then the vector role where pgvector exists. Returns vector support. */
export async function migrateDatabase(database: OpenedDatabase): Promise<boolean> {
  await database.migrate();
  return enableVector(database);
}

/** Migrates a Postgres database on one dedicated connection holding an advisory lock. */
export async function migratePostgresUrl(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(client), { migrationsFolder });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

async function enableVector({ db }: OpenedDatabase): Promise<boolean> {
  const available = await db.execute(
    sql`select count(*)::int as n from pg_available_extensions where name = 'vector'`,
  );
  if ((rowsOf<{ n: number }>(available)[0]?.n ?? 0) === 0) return false;
  await db.execute(sql`create extension if not exists vector`);
  for (const statement of vectorDdl) await db.execute(sql.raw(statement));
  return true;
}

/** Rows of a raw result (see db/raw-rows.ts). */
import { rowsOf } from './raw-rows';
export { rowsOf };
