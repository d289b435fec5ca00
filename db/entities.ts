import { and, asc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { factKey, factSentence, type StoredFact } from '../kernel/memory/fact';
import type { FactAction } from '../kernel/memory/reconcile';
import type { Db } from './client';
import { createMemory, type MemoryRow } from './memories';
import { agents, contextPages, memories } from './schema';

/** What an entity memory's row holds besides its sentence. */
export interface FactMeta {
  entity: string;
  attribute: string;
  value: string;
  /** The page the fact was read from, and how. */
  sourcePageId: string;
  extractor: 'rules' | 'model';
}

/** A fact as the API shows it: one version, with its validity. */
export interface FactVersion {
  memoryId: string;
  entity: string;
  attribute: string;
  value: string;
  version: number;
  validFrom: string;
  /** When a newer version replaced it; null while current. */
  validUntil: string | null;
  sourcePageId: string | null;
  extractor: string | null;
  agentId: string | null;
}

const isFact = (m: MemoryRow) => typeof (m.meta as Partial<FactMeta>).attribute === 'string';
const current = () => and(eq(memories.scope, 'entity'), eq(memories.abandoned, false), isNull(memories.validUntil), sql`not exists (select 1 from ${memories} newer where newer.supersedes_id = ${memories.id} and newer.abandoned = false)`);

/** The facts an owner (an agent) currently holds, as reconciliation compares them. */
export async function currentFacts(db: Db, ownerId: string): Promise<StoredFact[]> {
  const rows = await db.select().from(memories).where(and(eq(memories.agentId, ownerId), current()));
  return rows.filter(isFact).map((m) => {
    const meta = m.meta as FactMeta;
    return { id: m.id, entity: meta.entity, attribute: meta.attribute, value: meta.value, sentence: m.content };
  });
}

/**
 * Applies reconciled facts in one transaction, in order: an add stores a new entity memory (with the
 * page that lets assembly and recall find it); an update stores a new version superseding the
 * current one, whose validity ends now and whose page is retired. Safe to repeat: a retried batch
 * reconciles against what the first attempt committed, and finds nothing left to do.
 */
export async function applyFacts(db: Db, ownerId: string, step: number, actions: readonly FactAction[], source: (a: FactAction) => Pick<FactMeta, 'sourcePageId' | 'extractor'>): Promise<{ added: number; updated: number; unchanged: number }> {
  const counts = { added: 0, updated: 0, unchanged: 0 };
  await db.transaction(async (tx) => {
    for (const action of actions) {
      if (action.kind === 'noop') {
        counts.unchanged++;
        continue;
      }
      const key = factKey(action.fact);
      const [held] = await tx.select().from(memories).where(and(eq(memories.agentId, ownerId), eq(memories.key, key), current())).for('update');
      const row = await createMemory(tx, ownerId, step, { scope: 'entity', key, content: factSentence(action.fact) }, held);
      const meta: FactMeta = { entity: action.fact.entity, attribute: action.fact.attribute, value: action.fact.value, ...source(action) };
      await tx.update(memories).set({ meta }).where(eq(memories.id, row.id));
      if (held) {
        await tx.update(memories).set({ validUntil: row.createdAt }).where(eq(memories.id, held.id));
        await tx.update(contextPages).set({ retired: true }).where(and(eq(contextPages.agentId, ownerId), eq(contextPages.purpose, `memory:${held.id}`)));
        counts.updated++;
      } else counts.added++;
    }
  });
  return counts;
}

/** What a facts listing asks: whose (a tenant, optionally one agent or a crew), which words, and whether closed versions come too. */
export interface FactQuery {
  tenant: string | null;
  agentId?: string;
  crewId?: string;
  entity?: string;
  history: boolean;
  limit: number;
}

/** Facts by entity, current only or with every closed version, oldest first within an attribute. */
export async function listFacts(db: Db, q: FactQuery): Promise<FactVersion[]> {
  const where: Array<SQL | undefined> = [
    eq(memories.scope, 'entity'),
    eq(memories.abandoned, false),
    q.tenant === null ? undefined : eq(agents.tenant, q.tenant),
    q.agentId ? eq(memories.agentId, q.agentId) : undefined,
    q.crewId ? eq(agents.crewId, q.crewId) : undefined,
    q.entity ? sql`lower(${memories.meta}->>'entity') = ${q.entity.trim().toLowerCase()}` : undefined,
    q.history ? undefined : isNull(memories.validUntil),
    q.history ? undefined : sql`not exists (select 1 from ${memories} newer where newer.supersedes_id = ${memories.id} and newer.abandoned = false)`,
    isNull(agents.deletedAt),
  ];
  const rows = await db
    .select({ m: memories })
    .from(memories)
    .innerJoin(agents, eq(agents.id, memories.agentId))
    .where(and(...where))
    .orderBy(asc(memories.key), asc(memories.version), asc(memories.createdAt))
    .limit(q.limit);
  return rows.map((r) => r.m).filter(isFact).map((m) => {
    const meta = m.meta as FactMeta;
    return { memoryId: m.id, entity: meta.entity, attribute: meta.attribute, value: meta.value, version: m.version, validFrom: m.createdAt.toISOString(), validUntil: m.validUntil?.toISOString() ?? null, sourcePageId: meta.sourcePageId ?? null, extractor: meta.extractor ?? null, agentId: m.agentId };
  });
}

/** The bodies of an agent's own pages by id (what extraction reads), in step order. */
export async function pagesToRead(db: Db, agentId: string, ids: readonly string[]): Promise<Array<{ id: string; step: number; role: string; kind: string; body: string }>> {
  if (!ids.length) return [];
  return db
    .select({ id: contextPages.id, step: contextPages.step, role: contextPages.role, kind: contextPages.kind, body: contextPages.body })
    .from(contextPages)
    .where(and(eq(contextPages.agentId, agentId), inArray(contextPages.id, [...ids]), eq(contextPages.retired, false)))
    .orderBy(asc(contextPages.step), asc(contextPages.id));
}
