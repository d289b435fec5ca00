import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Spend } from '../kernel/cost/budget';
import type { CrewSpec } from '../kernel/crew/spec';
import type { Db } from './client';
import { readPages } from './pages';
import { agents, crewNodes, crews } from './schema';

/** A stored crew. */
export type CrewRow = typeof crews.$inferSelect;
/** A stored crew node (of one run). */
export type CrewNodeRow = typeof crewNodes.$inferSelect;

/** One crew by id. */
export async function getCrew(db: Db, id: string): Promise<CrewRow | undefined> {
  const [row] = await db.select().from(crews).where(eq(crews.id, id)).limit(1);
  return row;
}

/** A crew's spec (validated when it was posted). */
export function specOf(crew: CrewRow): CrewSpec {
  return crew.spec as CrewSpec;
}

/** The nodes of one run of a crew. */
export async function crewRunNodes(db: Db, crewId: string, run: number): Promise<CrewNodeRow[]> {
  return db.select().from(crewNodes).where(and(eq(crewNodes.crewId, crewId), eq(crewNodes.run, run)));
}

/** The results (page bodies) of the given nodes of a run; null for a node without one. */
export async function nodeResults(db: Db, crewId: string, run: number, ids: readonly string[]): Promise<Record<string, { status: string; result: string | null }>> {
  if (ids.length === 0) return {};
  const rows = await db.select().from(crewNodes).where(and(eq(crewNodes.crewId, crewId), eq(crewNodes.run, run), inArray(crewNodes.nodeId, [...ids])));
  const pages = await readPages(db, rows.flatMap((r) => (r.resultPageId ? [r.resultPageId] : []))).catch(() => []);
  const body = new Map(pages.map((p) => [p.id, p.body]));
  return Object.fromEntries(rows.map((r) => [r.nodeId, { status: r.status, result: r.resultPageId ? (body.get(r.resultPageId) ?? null) : null }]));
}

/** Writes a node's row of a run (insert or update). */
export async function upsertCrewNode(db: Db, row: Partial<CrewNodeRow> & Pick<CrewNodeRow, 'crewId' | 'run' | 'nodeId' | 'kind'>): Promise<void> {
  const { crewId, run, nodeId, ...rest } = row;
  await db
    .insert(crewNodes)
    .values(row)
    .onConflictDoUpdate({ target: [crewNodes.crewId, crewNodes.run, crewNodes.nodeId], set: Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) });
}

/** Adds spend to the crew's totals. */
export async function addCrewSpend(db: Db, crewId: string, spend: Spend): Promise<void> {
  await db
    .update(crews)
    .set({ promptTokens: sql`${crews.promptTokens} + ${spend.promptTokens}`, completionTokens: sql`${crews.completionTokens} + ${spend.completionTokens}`, costUsd: sql`${crews.costUsd} + ${spend.costUsd}`, updatedAt: new Date() })
    .where(eq(crews.id, crewId));
}

/**
 * The record that owns a crew's own pages (gate decisions, a foreach's collected results): pages
 * need an owner, and the crew's id keeps them apart from every agent's. Created once.
 */
export async function ensureCrewOwner(db: Db, crew: CrewRow): Promise<void> {
  await db.insert(agents).values({ id: crew.id, name: `crew ${crew.name}`, role: 'crew results', goal: `results of crew ${crew.name}`, model: 'none', tenant: crew.tenant, status: 'completed', maxSteps: 0, workflowId: crew.id, crewId: crew.id, definition: { crewOwner: true } }).onConflictDoNothing();
}

/** The spend of the agents a crew node ran (given ids, or every id with a prefix: all items of a foreach), from their rows. */
export async function nodeAgentsSpend(db: Db, crewId: string, which: { ids?: readonly string[]; prefix?: string }): Promise<Spend> {
  const match = which.prefix ? sql`${agents.id} like ${`${which.prefix}%`}` : inArray(agents.id, [...(which.ids ?? [])]);
  const [row] = await db
    .select({ p: sql<number>`coalesce(sum(${agents.promptTokens}), 0)::int`, c: sql<number>`coalesce(sum(${agents.completionTokens}), 0)::int`, usd: sql<number>`coalesce(sum(${agents.costUsd}), 0)::float8` })
    .from(agents)
    .where(and(eq(agents.crewId, crewId), match));
  return { promptTokens: row?.p ?? 0, completionTokens: row?.c ?? 0, costUsd: Number(row?.usd ?? 0) };
}
