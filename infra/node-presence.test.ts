import { afterAll, beforeAll, expect, test, setDefaultTimeout } from 'bun:test';
import { openDatabase, type Database } from '../db/client';
import { markDraining, markUndrained, NODES_CHANNEL } from '../db/nodes';
import { createTestDatabase } from '../test/support/postgres';
import { createLogger } from './logger';
import { startPresence } from './node-presence';

// Opening a database runs every migration: bun's 5 s default is too short for the hooks.
setDefaultTimeout(120_000);

let fresh: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
beforeAll(async () => {
  fresh = await createTestDatabase();
  database = await openDatabase({ url: fresh.url, poolSize: 3 });
});
afterAll(async () => {
  await database.close();
  await fresh.drop();
});

test('a node hears its drain and its undrain at once, not at its next heartbeat (Postgres NOTIFY)', async () => {
  const heard: string[] = [];
  // A 30 s lease: the heartbeat comes every 10 s, far later than the 2 s this test waits.
  const stop = await startPresence(
    database.db,
    { nodeId: 'listener', taskQueue: 'q.node.listener', leaseMs: 30_000, smiCommand: 'false', gpuIntervalMs: 60_000, pubsub: database.pubsub, onDraining: () => heard.push('draining'), onUndrained: () => heard.push('alive') },
    createLogger('error'),
  );
  try {
    const until = async (what: string) => {
      for (let i = 0; i < 40 && !heard.includes(what); i++) await Bun.sleep(50);
      return heard.includes(what);
    };
    expect(await markDraining(database.db, 'listener')).toBe(true);
    await database.pubsub.notify(NODES_CHANNEL, 'another-node');
    await Bun.sleep(200);
    expect(heard).toEqual([]);
    await database.pubsub.notify(NODES_CHANNEL, 'listener');
    expect(await until('draining')).toBe(true);
    expect(await markUndrained(database.db, 'listener')).toBe(true);
    await database.pubsub.notify(NODES_CHANNEL, 'listener');
    expect(await until('alive')).toBe(true);
    expect(heard).toEqual(['draining', 'alive']);
  } finally {
    await stop();
  }
});
