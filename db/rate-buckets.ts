import { sql } from 'drizzle-orm';
import type { Db } from './client';
import { rowsOf } from './raw-rows';
import { rateBuckets } from './schema';

/**
 * Takes `wanted` (at most a full bucket) from the shared bucket `key` (capacity `perMinute`, refilled at `perMinute` a minute by
 * the database's clock, so every node counts alike) in one statement. Returns 0 when taken, else
 * how many milliseconds until `n` would be there (what was taken is given back).
 */
export async function takeShared(db: Db, key: string, perMinute: number, wanted: number): Promise<number> {
  // A call bigger than a whole minute's allowance goes through when the bucket is full.
  const n = Math.min(wanted, perMinute);
  // A negative amount gives back what was taken (never above a full bucket).
  if (n < 0) {
    await db.execute(sql`update ${rateBuckets} set tokens = least(${perMinute}::float8, tokens - ${n}::float8) where key = ${key}`);
    return 0;
  }
  const refill = sql`least(${perMinute}::float8, b.tokens + greatest(0, extract(epoch from (now() - b.updated_at))) * ${perMinute}::float8 / 60.0)`;
  const [row] = rowsOf<{ tokens: number }>(
    await db.execute(sql`
      insert into ${rateBuckets} as b (key, tokens, updated_at) values (${key}, ${perMinute}::float8 - ${n}::float8, now())
      on conflict (key) do update set tokens = ${refill} - ${n}::float8, updated_at = now()
      returning tokens`),
  );
  const left = Number(row!.tokens);
  if (left >= 0) return 0;
  await db.execute(sql`update ${rateBuckets} set tokens = tokens + ${n}::float8 where key = ${key}`);
  return Math.ceil((-left / perMinute) * 60_000);
}
