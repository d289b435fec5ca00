import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { isKernelError } from '../kernel/errors';
import { createTestDatabase } from '../test/support/postgres';
import { appendAudit, verifyAuditChain } from './audit';
import { openDatabase, reconnectDelayS, type Database } from './client';
import { acquireDirLock } from './dir-lock';
import { rowsOf } from './migrate';
import { findPage, readPages, writePage } from './pages';
import { agents, auditLog, contextPages } from './schema';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const TABLES = ['agents', 'audit_log', 'checkpoints', 'context_pages', 'leases', 'memories', 'nodes'];

async function seedAgent(db: Database['db'], id: string) {
  await db.insert(agents).values({ id, name: id, role: 'r', goal: 'g', model: 'scripted', maxSteps: 3, workflowId: id, definition: {} });
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`database on ${kind}`, () => {
    let database: Database;
    let drop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      if (kind === 'postgres') {
        const fresh = await createTestDatabase();
        drop = fresh.drop;
        database = await openDatabase({ url: fresh.url, poolSize: 3 });
      } else {
        database = await openDatabase({ pgliteDir: 'memory://' });
      }
      await seedAgent(database.db, 'agent-a');
    });
    afterAll(async () => {
      await database.close();
      await drop?.();
    });

    test('the same migrations create every table of the five roles', async () => {
      const rows = rowsOf<{ table_name: string }>(
        await database.db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`),
      ).map((r) => r.table_name);
      expect(rows).toEqual(expect.arrayContaining(TABLES));
      expect(database.kind).toBe(kind);
    });

    test('vector role exists exactly where pgvector can be installed', async () => {
      // Decided by what the server offers, not by what the migration did: an offered pgvector that the
      // migration failed to enable fails this, and so does a vector role claimed without it.
      const offered = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from pg_available_extensions where name = 'vector'`))[0]!.n > 0;
      expect(database.vector).toBe(offered);
      const installed = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from pg_extension where extname = 'vector'`))[0]!.n;
      expect(installed).toBe(offered ? 1 : 0);
      if (kind === 'pglite') expect(database.vector).toBe(true);
      const table = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from information_schema.tables where table_name = 'page_embeddings'`))[0]!.n;
      expect(table).toBe(database.vector ? 1 : 0);
    });

    test('page writes are idempotent by (agent, step, purpose) and count real tokens', async () => {
      const first = await writePage(database.db, { agentId: 'agent-a', step: 1, purpose: 'reply', kind: 'message', role: 'assistant', body: 'The quick brown fox jumps over the lazy dog.' });
      const retry = await writePage(database.db, { agentId: 'agent-a', step: 1, purpose: 'reply', kind: 'message', role: 'assistant', body: 'a different body from a retry' });
      expect(retry.id).toBe(first.id);
      expect(retry.body).toBe(first.body);
      expect(first.tokens).toBe(10);
      const count = await database.db.select().from(contextPages).where(eq(contextPages.agentId, 'agent-a'));
      expect(count).toHaveLength(1);
      expect((await findPage(database.db, 'agent-a', 1, 'reply'))?.id).toBe(first.id);
      await expect(readPages(database.db, ['missing'])).rejects.toThrow('not in the database');
    });

    test('full-text search over pages works without any extension', async () => {
      await writePage(database.db, { agentId: 'agent-a', step: 2, purpose: 'reply', kind: 'message', role: 'assistant', body: 'Caroline went to the LGBTQ support group on Tuesday.' });
      const hits = await database.db
        .select({ id: contextPages.id, rank: sql<number>`ts_rank(${contextPages.tsv}, plainto_tsquery('english', 'support groups'))` })
        .from(contextPages)
        .where(sql`${contextPages.tsv} @@ plainto_tsquery('english', 'support groups')`);
      expect(hits.map((h) => h.id)).toEqual(['agent-a.s2.reply']);
      expect(hits[0]!.rank).toBeGreaterThan(0);
    });

    test('the audit log is hash-chained, idempotent and append-only', async () => {
      for (let i = 0; i < 3; i++) await appendAudit(database.db, { actor: 'test', action: 'thing.done', subject: `s${i}`, data: { i }, idempotencyKey: `k${i}` });
      await appendAudit(database.db, { actor: 'test', action: 'thing.done', subject: 's0', data: { i: 0 }, idempotencyKey: 'k0' });
      expect(await database.db.select().from(auditLog)).toHaveLength(3);
      expect(await verifyAuditChain(database.db)).toBeNull();
      const refused = async (query: PromiseLike<unknown>) => {
        try {
          await query;
          return 'allowed';
        } catch (err) {
          return String((err as { cause?: unknown }).cause ?? err);
        }
      };
      expect(await refused(database.db.update(auditLog).set({ actor: 'mallory' }))).toContain('append-only (UPDATE refused)');
      expect(await refused(database.db.delete(auditLog))).toContain('append-only (DELETE refused)');
      expect(await database.db.select().from(auditLog)).toHaveLength(3);
    });
  });
}

test('two processes migrating a fresh Postgres database at once both succeed, and every migration runs once', async () => {
  const fresh = await createTestDatabase();
  try {
    const [a, b] = await Promise.all([openDatabase({ url: fresh.url, poolSize: 1 }), openDatabase({ url: fresh.url, poolSize: 1 })]);
    const n = rowsOf<{ n: number }>(await a.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`))[0]!.n;
    const journal = JSON.parse(await Bun.file(new URL('./migrations/meta/_journal.json', import.meta.url)).text()) as { entries: unknown[] };
    expect(n).toBe(journal.entries.length);
    const tables = rowsOf<{ n: number }>(await b.db.execute(sql`select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name in (${sql.join(TABLES.map((t) => sql`${t}`), sql`, `)})`))[0]!.n;
    expect(tables).toBe(TABLES.length);
    await a.close();
    await b.close();
  } finally {
    await fresh.drop();
  }
});

test('migrating an already-migrated Postgres database is a no-op', async () => {
  const fresh = await createTestDatabase();
  try {
    const a = await openDatabase({ url: fresh.url, poolSize: 1 });
    await a.close();
    const [b, c] = await Promise.all([openDatabase({ url: fresh.url, poolSize: 1 }), openDatabase({ url: fresh.url, poolSize: 1 })]);
    const n = rowsOf<{ n: number }>(await b.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`))[0]!.n;
    const journal = JSON.parse(await Bun.file(new URL('./migrations/meta/_journal.json', import.meta.url)).text()) as { entries: unknown[] };
    expect(n).toBe(journal.entries.length);
    await b.close();
    await c.close();
  } finally {
    await fresh.drop();
  }
});

describe('embedded database directory lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aok-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a directory held by another live process is refused with a sentence', async () => {
    const other = Bun.spawn(['sleep', '30']);
    try {
      writeFileSync(join(dir, '.aok-owner.pid'), String(other.pid));
      let caught: unknown;
      try {
        acquireDirLock(dir);
      } catch (err) {
        caught = err;
      }
      expect(isKernelError(caught, 'conflict')).toBe(true);
      expect((caught as Error).message).toContain('set DATABASE_URL');
    } finally {
      other.kill();
      await other.exited;
    }
  });

  test('a stale lock from a dead process is taken over and released', () => {
    writeFileSync(join(dir, '.aok-owner.pid'), '999999999');
    const release = acquireDirLock(dir);
    expect(Bun.file(join(dir, '.aok-owner.pid')).size).toBeGreaterThan(0);
    release();
    expect(Bun.file(join(dir, '.aok-owner.pid')).size).toBe(0);
  });

  test('PGlite persists to its directory across reopen', async () => {
    const pgDir = join(dir, 'pg');
    const first = await openDatabase({ pgliteDir: pgDir });
    await seedAgent(first.db, 'persisted');
    await first.close();
    const second = await openDatabase({ pgliteDir: pgDir });
    const rows = await second.db.select().from(agents).where(eq(agents.id, 'persisted'));
    await second.close();
    expect(rows).toHaveLength(1);
  });
});

describe('reconnecting after an outage', () => {
  test('the pool tries again at most a second apart, however many connects failed (the driver’s default waits up to 20 s)', () => {
    for (let retries = 0; retries <= 40; retries++) {
      const d = reconnectDelayS(retries);
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(1);
    }
    expect(reconnectDelayS(0)).toBeLessThanOrEqual(0.1);
  });
});
