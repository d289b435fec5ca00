/**
 * Migration 0013 on data written before it: a crew memory record `crew-<name>` (tenant default) is
 * copied to `crew-<name>@default` with its pages and memories, so agents of that crew still see them.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, type Database } from './client';
import { writePage } from './pages';
import { agents, contextPages, memories } from './schema';
import { crewRecordId, scopeOf } from './scope';

setDefaultTimeout(60_000);

let database: Database;
beforeAll(async () => {
  database = await openDatabase({ pgliteDir: 'memory://' });
});
afterAll(() => database.close());

test('old crew records move to crew-<name>@default with their pages and memories; agents are untouched', async () => {
  const db = database.db;
  // As written before 0013: the record's id is crew-<name>.
  await db.insert(agents).values({ id: 'crew-research', name: 'crew research', role: 'crew memory', goal: 'g', model: 'none', status: 'completed', maxSteps: 0, workflowId: 'crew-research', definition: { crewRecord: 'research' } });
  await db.insert(agents).values({ id: 'crew-lead-abc123', name: 'Crew lead', role: 'r', goal: 'g', model: 'scripted', maxSteps: 3, workflowId: 'crew-lead-abc123', definition: {} });
  await writePage(db, { agentId: 'crew-research', step: 0, purpose: 'memory:m1', kind: 'memory', role: 'user', body: 'Memory "plan": ship it' });
  await db.insert(memories).values({ id: 'm1', agentId: 'crew-research', crewId: 'research', scope: 'long', key: 'plan', content: 'ship it' });
  await writePage(db, { agentId: 'crew-lead-abc123', step: 0, purpose: 'input', kind: 'message', role: 'user', body: 'an agent page' });

  const statements = readFileSync(new URL('./migrations/0013_crew_records_per_tenant.sql', import.meta.url), 'utf8').split('--> statement-breakpoint');
  for (const statement of statements) await db.execute(sql.raw(statement));

  const moved = crewRecordId('research', 'default');
  expect(moved).toBe('crew-research@default');
  expect((await db.select().from(contextPages).where(eq(contextPages.agentId, moved))).map((p) => p.body)).toEqual(['Memory "plan": ship it']);
  expect((await db.select().from(memories).where(eq(memories.agentId, moved))).map((m) => m.id)).toEqual(['m1']);
  // An agent whose id merely starts with "crew-" keeps its pages.
  expect(await db.select().from(contextPages).where(eq(contextPages.agentId, 'crew-lead-abc123'))).toHaveLength(1);
  // An agent of that crew sees the moved record.
  expect(scopeOf({ id: 'x', tenant: 'default', definition: { crew: 'research' } }).map((s) => s.agentId)).toContain(moved);
});
