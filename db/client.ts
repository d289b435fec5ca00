import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { acquireDirLock } from './dir-lock';
import type { PubSub } from './notify';
import { migrateDatabase, migratePostgresUrl, migrationsFolder } from './migrate';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import * as schema from './schema';

/** The drizzle database, the same type over postgres.js and PGlite. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open database with what it can do and how to close it. */
export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** True when the pgvector extension is installed and `page_embeddings` exists. */
  vector: boolean;
  /** Describes where the data lives, for logs (no credentials). */
  where: string;
  /** LISTEN/NOTIFY, for streaming events to API clients. */
  pubsub: PubSub;
  close(): Promise<void>;
}

/** A database opened but not yet migrated. */
export type OpenedDatabase = Omit<Database, 'vector'> & { migrate(): Promise<void> };

/** Where to open the database: a Postgres URL, or an embedded PGlite directory (or memory). */
export interface OpenDatabaseOptions {
  url?: string;
  /** PGlite data directory; `memory://` keeps it in memory (tests). */
  pgliteDir?: string;
  /** Run migrations on open (default true). */
  migrate?: boolean;
  /** postgres.js pool size (default 10). */
  poolSize?: number;
  /** Called with every statement sent to Postgres (benchmarks count them); unset in production. */
  onQuery?: (statement: string) => void;
}

/** Opens the database: `url` → Postgres via postgres.js, otherwise embedded PGlite; then migrates. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const opened = options.url ? openPostgres(options.url, options.poolSize ?? 10, options.onQuery) : await openPglite(options.pgliteDir ?? 'memory://');
  try {
    const vectorReady = options.migrate === false ? false : await migrateDatabase(opened);
    return { ...opened, vector: vectorReady };
  } catch (err) {
    await opened.close();
    throw err;
  }
}

/** The options `bun run dev/worker/api` use: DATABASE_URL if set, else PGlite under DATA_DIR/pg. */
export function databaseOptionsFromConfig(config: { DATABASE_URL?: string | undefined; DATA_DIR: string }): OpenDatabaseOptions {
  return config.DATABASE_URL ? { url: config.DATABASE_URL } : { pgliteDir: join(config.DATA_DIR, 'pg') };
}

/** Seconds before a pool's next connect after `retries` failed ones: 0.1 s doubling to 1 s, with jitter. */
export function reconnectDelayS(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** retries, 1);
}

function openPostgres(url: string, max: number, onQuery?: (statement: string) => void): OpenedDatabase {
  // A database that does not answer a connection within 3 s is down: requests fail fast (503) instead of queueing.
  // Reconnects at most a second apart (with jitter): postgres.js's default backoff grows with every
  // failed connect of the pool (3^n / 100 s, up to 20 s), so after an outage of a few seconds the
  // queries waiting for a connection sat up to 20 s past the database's return.
  const sql = postgres(url, { max, connect_timeout: 3, backoff: reconnectDelayS, onnotice: () => {}, ...(onQuery ? { debug: (_connection: number, statement: string) => onQuery(statement) } : {}) });
  const host = new URL(url);
  return {
    db: drizzlePostgres(preparing(sql), { schema }),
    kind: 'postgres',
    where: `postgres://${host.host}${host.pathname}`,
    close: () => sql.end({ timeout: 5 }),
    migrate: () => migratePostgresUrl(url),
    pubsub: {
      async listen(channel, onPayload) {
        const { unlisten } = await sql.listen(channel, onPayload);
        return unlisten;
      },
      async notify(channel, payload) {
        await sql.notify(channel, payload);
      },
    },
  };
}

/**
 * The client drizzle gets: every statement a named prepared statement, cached per connection.
 * Drizzle asks postgres.js for unnamed statements, and an unnamed statement with parameters costs
 * two round trips (postgres.js describes it first to learn the parameter types); prepared, the second
 * use of a statement on a connection costs one. Transactions' clients are wrapped the same way.
 */
function preparing(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) => target.unsafe(query, params, { ...options, prepare: true });
      }
      if (prop === 'begin') {
        return (...args: unknown[]) => {
          const run = args.at(-1) as (tx: postgres.TransactionSql) => unknown;
          const begin = target.begin as (...a: unknown[]) => unknown;
          return begin.call(target, ...args.slice(0, -1), (tx: postgres.TransactionSql) => run(preparing(tx as unknown as postgres.Sql) as unknown as postgres.TransactionSql));
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

async function openPglite(dir: string): Promise<OpenedDatabase> {
  const inMemory = dir.startsWith('memory://');
  let release = () => {};
  if (!inMemory) {
    mkdirSync(dir, { recursive: true });
    release = acquireDirLock(dir);
  }
  try {
    const client = await PGlite.create(inMemory ? undefined : dir, { extensions: { vector } });
    const db = drizzlePglite(client, { schema });
    return {
      db,
      migrate: () => migratePglite(db, { migrationsFolder }),
      pubsub: {
        async listen(channel, onPayload) {
          const unsubscribe = await client.listen(channel, onPayload);
          return unsubscribe;
        },
        async notify(channel, payload) {
          await client.query('select pg_notify($1, $2)', [channel, payload]);
        },
      },
      kind: 'pglite',
      where: inMemory ? 'pglite (in memory)' : `pglite ${dir}`,
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}
