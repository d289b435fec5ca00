import { and, count, desc, eq, isNull, notInArray, notLike, sql } from 'drizzle-orm';
import { TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import { KernelError } from '../kernel/errors';
import type { SpawnAgent } from '../kernel/agent/spawn';
import type { Db } from './client';
import { writePage, type PageRow } from './pages';
import { agents, crews } from './schema';

/** A stored agent row. */
export type AgentRow = typeof agents.$inferSelect;

/** Stores a new agent and its input page in one transaction; returns both. */
export async function createAgentRecord(db: Db, id: string, spec: SpawnAgent & { model: string }, crewId?: string): Promise<{ agent: AgentRow; input: PageRow }> {
  return db.transaction(async (tx) => {
    const [agent] = await tx
      .insert(agents)
      .values({
        id,
        name: spec.name,
        role: spec.role,
        goal: spec.goal,
        backstory: spec.backstory ?? null,
        model: spec.model,
        tenant: spec.tenant,
        priority: spec.priority,
        maxSteps: spec.constraints.maxSteps,
        parentId: spec.parentId ?? null,
        crewId: crewId ?? null,
        workflowId: id,
        definition: { ...spec, input: undefined },
      })
      .returning();
    const input = await writePage(tx as unknown as Db, {
      agentId: id,
      step: 0,
      purpose: 'input',
      kind: 'message',
      role: 'user',
      body: spec.input,
      importance: 1,
      pinned: true,
    });
    return { agent: agent!, input };
  });
}

/** One agent by id. */
export async function getAgentRecord(db: Db, id: string): Promise<AgentRow | undefined> {
  const rows = await db.select().from(agents).where(eq(agents.id, id)).limit(1);
  return rows[0];
}

/** True for the record that owns a crew's own pages (see `ensureCrewOwner`): it is stored as an agent but is none. */
export function isCrewOwner(row: Pick<AgentRow, 'id' | 'crewId'>): boolean {
  return row.crewId !== null && row.id === row.crewId;
}

/** Newest agents first (erased agents and crews' page-owner records left out: their ids are the crews', `crew.…`, and no agent id has a dot). */
export async function listAgentRecords(db: Db, limit: number, offset: number, tenant: string | null = null): Promise<AgentRow[]> {
  return db.select().from(agents).where(and(notLike(agents.id, 'crew.%'), isNull(agents.deletedAt), tenant === null ? undefined : eq(agents.tenant, tenant))).orderBy(desc(agents.createdAt), desc(agents.id)).limit(limit).offset(offset);
}

/** Changes stored fields of an agent and bumps `updated_at`. */
export async function updateAgentRecord(db: Db, id: string, patch: Partial<Omit<AgentRow, 'id' | 'createdAt'>>): Promise<void> {
  await db.update(agents).set({ ...patch, updatedAt: new Date() }).where(eq(agents.id, id));
}

/**
 * The step a page written now belongs to: the agent's next one. A message or memory added between
 * steps enters the next step, so a fork or checkpoint at the current step never sees it.
 */
export function enteringStep(agent: Pick<AgentRow, 'step'>): number {
  return agent.step + 1;
}

/** How many generations {@link ancestorsOf} follows; a longer line is reported incomplete. */
const MAX_GENERATIONS = 64;

/**
 * The agents `id` descends from, nearest first: its parent (spawn_agent or `parentId`), the agent
 * that started its crew (spawn_crew), and the agent it was forked from. `complete` is false when the
 * line is longer than {@link MAX_GENERATIONS} (callers that guard with it must then refuse).
 */
export async function ancestorsOf(db: Db, id: string): Promise<{ ids: string[]; complete: boolean }> {
  const out: string[] = [];
  let current = id;
  for (let depth = 0; depth < MAX_GENERATIONS; depth++) {
    const row = await getAgentRecord(db, current);
    if (!row) break;
    const lineage = (row.definition as { lineage?: Array<{ agentId: string }> }).lineage ?? [];
    const crewParent = row.crewId ? (await db.select({ parent: crews.parentAgentId }).from(crews).where(eq(crews.id, row.crewId)).limit(1))[0]?.parent : null;
    const next = row.parentId ?? crewParent ?? lineage[lineage.length - 1]?.agentId ?? null;
    if (!next || out.includes(next)) return { ids: out, complete: true };
    out.push(next);
    current = next;
  }
  return { ids: out, complete: false };
}

/**
 * Inside a transaction that is about to add an agent: refuses (429) when its tenant already has `cap`
 * live agents. Serialised per tenant (an advisory lock), so concurrent spawns cannot overshoot.
 */
export async function refuseOverLiveCap(tx: Db, tenant: string, cap: number | undefined): Promise<void> {
  if (!cap || cap <= 0) return;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`aok-tenant-live:${tenant}`}))`);
  const [row] = await tx.select({ n: count() }).from(agents).where(and(eq(agents.tenant, tenant), notInArray(agents.status, [...TERMINAL_STATUSES])));
  if ((row?.n ?? 0) >= cap) throw new KernelError('rate_limited', `tenant ${tenant} already has ${cap} live agents (TENANT_MAX_LIVE_AGENTS); wait for some to finish`, { retryAfterS: 30 });
}

/** True when `id` is `ancestor` or descends from it (or its line is too long to tell: guards refuse then). */
export async function descendsFrom(db: Db, id: string, ancestor: string): Promise<boolean> {
  if (id === ancestor) return true;
  const line = await ancestorsOf(db, id);
  return !line.complete || line.ids.includes(ancestor);
}
