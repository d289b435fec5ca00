import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { DEFAULT_SHORT_MEMORY_TTL_MS } from '../kernel/agent/spawn';
import { orTsQuery } from '../kernel/paging/fts-query';
import { appendAuditIn } from './audit';
import type { Db } from './client';
import { writePage } from './pages';
import { agents, contextPages, memories } from './schema';
import { crewRecordId } from './scope';
import { enteringStep } from './agents';
import { KernelError } from '../kernel/errors';

/** A stored memory version. */
export type MemoryRow = typeof memories.$inferSelect;

/** short (this task), long (across tasks), entity (facts about a person or thing). */
export type MemoryScope = 'short' | 'long' | 'entity';

const IMPORTANCE: Record<MemoryScope, number> = { short: 0.6, long: 0.9, entity: 0.85 };

async function crewOf(db: Db, agentId: string): Promise<string | undefined> {
  const [row] = await db.select({ definition: agents.definition }).from(agents).where(eq(agents.id, agentId)).limit(1);
  return (row?.definition as { crewRecord?: string } | undefined)?.crewRecord;
}

/** Stores a memory for an agent and the page that lets assembly and recall find it; a short-term one expires after the agent's TTL. */
export async function createMemory(db: Db, agentId: string, step: number, m: { scope: MemoryScope; key: string; content: string }, supersedes?: MemoryRow): Promise<MemoryRow> {
  const id = `mem-${randomUUID()}`;
  const ttl = m.scope === 'short' ? await shortMemoryTtl(db, agentId) : null;
  const [row] = await db
    .insert(memories)
    .values({ id, agentId, crewId: (await crewOf(db, agentId)) ?? null, scope: m.scope, key: m.key, content: m.content, version: (supersedes?.version ?? 0) + 1, supersedesId: supersedes?.id ?? null, expiresAt: ttl === null ? null : new Date(Date.now() + ttl) })
    .returning();
  await writePage(db, { agentId, step, purpose: `memory:${id}`, kind: 'memory', role: 'user', body: `Memory (${m.scope}) "${m.key}": ${m.content}`, importance: IMPORTANCE[m.scope], meta: { memoryId: id } });
  return row!;
}

/** How long an agent's short-term memories live (its `constraints.shortMemoryTtlMs`, else a day). */
export async function shortMemoryTtl(db: Db, agentId: string): Promise<number> {
  const [row] = await db.select({ definition: agents.definition }).from(agents).where(eq(agents.id, agentId)).limit(1);
  return (row?.definition as { constraints?: { shortMemoryTtlMs?: number } } | undefined)?.constraints?.shortMemoryTtlMs ?? DEFAULT_SHORT_MEMORY_TTL_MS;
}

/** Starts the life of recalled short-term memories again (their pages' memory ids); returns how many. */
export async function refreshMemories(db: Db, memoryIds: readonly string[], ttlMs: number): Promise<number> {
  if (!memoryIds.length) return 0;
  const rows = await db.update(memories).set({ expiresAt: new Date(Date.now() + ttlMs) }).where(and(inArray(memories.id, [...memoryIds]), isNotNull(memories.expiresAt), gt(memories.expiresAt, new Date()))).returning({ id: memories.id });
  return rows.length;
}

/** Forgets every short-term memory past its end (the sweep a schedule runs); returns how many chains went. */
export async function sweepExpiredMemories(db: Db, now = new Date(), batch = 500): Promise<number> {
  const expired = await db.select({ id: memories.id }).from(memories).where(and(isNotNull(memories.expiresAt), lt(memories.expiresAt, now))).limit(batch);
  let swept = 0;
  for (const { id } of expired) if (await deleteMemory(db, id, 'kernel:memory-sweep')) swept++;
  return swept;
}

/** Creates (once) the record that owns a crew's shared memories and returns its id. */
export async function ensureCrewRecord(db: Db, crew: string, tenant: string): Promise<string> {
  const id = crewRecordId(crew, tenant);
  const [existing] = await db.select({ tenant: agents.tenant, definition: agents.definition }).from(agents).where(eq(agents.id, id)).limit(1);
  // The id can only ever name this tenant's record of this crew; anything else is refused, never written into.
  if (existing && (existing.tenant !== tenant || (existing.definition as { crewRecord?: string }).crewRecord !== crew)) throw new KernelError('conflict', `"${id}" is not crew ${crew}'s memory record`);
  await db.insert(agents).values({ id, name: `crew ${crew}`, role: 'crew memory', goal: `memories shared by crew ${crew}`, model: 'none', tenant, status: 'completed', maxSteps: 0, workflowId: id, definition: { crewRecord: crew } }).onConflictDoNothing();
  return id;
}

/** Not past its end (an expired short-term memory is gone from every view before the sweep deletes it). */
const live = () => or(isNull(memories.expiresAt), gt(memories.expiresAt, new Date()));

/** The current version of each of an agent's memories (versions nothing live supersedes; a rewind's abandoned versions do not count). */
export async function currentMemories(db: Db, agentId: string): Promise<MemoryRow[]> {
  const all = await db.select().from(memories).where(and(eq(memories.agentId, agentId), eq(memories.abandoned, false), live())).orderBy(desc(memories.createdAt));
  const superseded = new Set(all.flatMap((m) => (m.supersedesId ? [m.supersedesId] : [])));
  return all.filter((m) => !superseded.has(m.id));
}

/** Every version of one memory's chain, newest first. */
export async function memoryHistory(db: Db, id: string): Promise<MemoryRow[]> {
  const chain: MemoryRow[] = [];
  let next: string | null = id;
  const newer = await db.select().from(memories).where(eq(memories.supersedesId, id));
  chain.push(...newer);
  while (next) {
    const [row] = await db.select().from(memories).where(eq(memories.id, next)).limit(1);
    if (!row) break;
    chain.push(row);
    next = row.supersedesId;
  }
  return chain;
}

/**
 * Feedback on a memory: `replace` writes new content, `amend` appends to it. Either way a new
 * version supersedes the old one, whose page is retired from retrieval; the old version stays in
 * the table and the correction (hashes of both contents) in the audit log.
 */
export async function correctMemory(db: Db, id: string, fb: { mode: 'replace' | 'amend'; content: string; reason?: string; actor: string }): Promise<MemoryRow | undefined> {
  // One transaction holding the old version's row: two corrections of one version cannot both win.
  return db.transaction(async (tx) => {
    const [old] = await tx.select().from(memories).where(eq(memories.id, id)).for('update');
    if (!old || !old.agentId) return undefined;
    const [newer] = await tx.select({ id: memories.id }).from(memories).where(and(eq(memories.supersedesId, id), eq(memories.abandoned, false))).limit(1);
    if (newer) throw new KernelError('conflict', `memory ${id} was already corrected by ${newer.id}; correct the current version`);
    const content = fb.mode === 'replace' ? fb.content : `${old.content}\n(amended) ${fb.content}`;
    const [owner] = await tx.select({ step: agents.step }).from(agents).where(eq(agents.id, old.agentId)).limit(1);
    const row = await createMemory(tx, old.agentId, enteringStep(owner ?? { step: 0 }), { scope: old.scope as MemoryScope, key: old.key, content }, old);
    await tx.update(contextPages).set({ retired: true }).where(and(eq(contextPages.agentId, old.agentId), eq(contextPages.purpose, `memory:${old.id}`)));
    // The versions hold the contents; the audit log holds that it changed (hashes, never the text, so a deletion can reach every copy).
    await appendAuditIn(tx, { actor: fb.actor, action: 'memory.corrected', subject: id, data: { mode: fb.mode, reason: fb.reason ?? null, beforeSha256: sha256(old.content), afterSha256: sha256(content), newVersion: row.id }, idempotencyKey: `memory.corrected:${id}` });
    return row;
  });
}


/** Every version of a memory's chain, oldest first: what it superseded and what superseded it. */
async function wholeChain(db: Db, id: string): Promise<MemoryRow[]> {
  const [start] = await db.select().from(memories).where(eq(memories.id, id)).limit(1);
  if (!start) return [];
  const chain = [start];
  for (let cur = start; cur.supersedesId; ) {
    const [older] = await db.select().from(memories).where(eq(memories.id, cur.supersedesId)).limit(1);
    if (!older) break;
    chain.unshift(older);
    cur = older;
  }
  for (let ids = [start.id]; ids.length; ) {
    const newer = await db.select().from(memories).where(inArray(memories.supersedesId, ids));
    chain.push(...newer);
    ids = newer.map((m) => m.id);
  }
  return chain;
}

/**
 * Forgets a memory for real: every version of its chain, the pages that let assembly and recall find
 * them (their full-text rows with them; their embeddings by cascade), in one transaction, with an
 * audit entry that says a deletion happened and how much went, never what. Undefined when unknown.
 */
export async function deleteMemory(db: Db, id: string, actor: string): Promise<{ versions: number; pages: number } | undefined> {
  return db.transaction(async (tx) => {
    const chain = await wholeChain(tx, id);
    if (!chain.length) return undefined;
    const ids = chain.map((m) => m.id);
    const owners = [...new Set(chain.flatMap((m) => (m.agentId ? [m.agentId] : [])))];
    const pages = owners.length ? await tx.delete(contextPages).where(and(inArray(contextPages.agentId, owners), inArray(contextPages.purpose, ids.map((m) => `memory:${m}`)))).returning({ id: contextPages.id }) : [];
    await tx.update(memories).set({ supersedesId: null }).where(inArray(memories.id, ids));
    await tx.delete(memories).where(inArray(memories.id, ids));
    await appendAuditIn(tx, { actor, action: 'memory.deleted', subject: id, data: { versions: ids.length, pages: pages.length, owners }, idempotencyKey: `memory.deleted:${id}` });
    return { versions: ids.length, pages: pages.length };
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What a memory search asks: a tenant (null: every tenant), and optionally a scope, an owner (an agent or a crew's record), words. */
export interface MemoryQuery {
  tenant: string | null;
  scope?: string;
  /** fact: entity facts (their meta names an attribute); note: every other memory. */
  type?: 'fact' | 'note';
  agentId?: string;
  q?: string;
  limit: number;
}

/** Current memories (no superseded or abandoned version) matching a query, best full-text match first, then newest. */
export async function searchMemories(db: Db, query: MemoryQuery): Promise<Array<MemoryRow & { tenant: string }>> {
  const words = query.q ? orTsQuery(query.q) : '';
  if (query.q && !words) return [];
  const rows = await db
    .select({ m: memories, tenant: agents.tenant })
    .from(memories)
    .innerJoin(agents, eq(agents.id, memories.agentId))
    .where(
      and(
        eq(memories.abandoned, false),
        live(),
        sql`not exists (select 1 from ${memories} newer where newer.supersedes_id = ${memories.id} and newer.abandoned = false)`,
        query.tenant === null ? undefined : eq(agents.tenant, query.tenant),
        query.scope ? eq(memories.scope, query.scope) : undefined,
        query.type === 'fact' ? sql`${memories.meta} ? 'attribute'` : query.type === 'note' ? sql`not (${memories.meta} ? 'attribute')` : undefined,
        query.agentId ? eq(memories.agentId, query.agentId) : undefined,
        words ? sql`to_tsvector('english', ${memories.key} || ' ' || ${memories.content}) @@ to_tsquery('english', ${words})` : undefined,
      ),
    )
    .orderBy(...(words ? [desc(sql`ts_rank(to_tsvector('english', ${memories.key} || ' ' || ${memories.content}), to_tsquery('english', ${words}))`)] : []), desc(memories.createdAt))
    .limit(query.limit);
  return rows.map((r) => ({ ...r.m, tenant: r.tenant }));
}
