import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { openDatabase, type Database } from './client';
import { takeShared } from './rate-buckets';

setDefaultTimeout(60_000);

describe('a shared token bucket in the database', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ pgliteDir: 'memory://' });
  });
  afterAll(() => database.close());

  test('a full bucket gives its capacity, then says how long to wait; what is given back can be taken again', async () => {
    const take = (n: number) => takeShared(database.db, 'rpm:test', 6, n);
    for (let i = 0; i < 6; i++) expect(await take(1)).toBe(0);
    const wait = await take(1);
    // Refilled at 6 a minute: about 10 s for the next one (less the moment since the first take).
    expect(wait).toBeGreaterThan(8_000);
    expect(wait).toBeLessThanOrEqual(10_000);
    expect(await take(-1)).toBe(0);
    expect(await take(1)).toBe(0);
    expect(await take(1)).toBeGreaterThan(0);
    // A call bigger than a minute's allowance is capped at a full bucket (else it could never pass).
    expect(await takeShared(database.db, 'tpm:big', 100, 5_000)).toBe(0);
    expect(await takeShared(database.db, 'tpm:big', 100, 1)).toBeGreaterThan(0);
  });
});
