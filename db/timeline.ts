import { and, eq, gt, gte, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from './client';
import type { ForkOrigin } from './scope';
import { agents, checkpoints, contextPages, memories, toolCalls, usageLedger } from './schema';
import type { Spend } from '../kernel/cost/budget';
import { ledgerTotals } from './ledger';

/** What a rewind did to the agent's records. */
export interface RewindOutcome {
  /** The agent's new timeline number. */
  branch: number;
  archivedPages: number;
  restoredPages: number;
  /** Forks that shared the abandoned pages and now own copies of them. */
  copiedToForks: Record<string, number>;
  /** Everything the agent's own steps ever cost, on every timeline (the ledger's sum). */
  ledgerTotal: Spend;
}

/** A rewind that lands inside a step (a reset between its reply and its tool calls): what `step` wrote from `at` on is abandoned, the rest of it kept. */
export interface MidStepCut {
  step: number;
  at: Date;
}

/**
 * Rewinds an agent's records to the boundary after `toStep`, in one transaction holding the agent's
 * row: pages written after it move to an archive (renamed `…~r<n>`, retired, kept for the record),
 * memory versions written after it stop being current and the versions they superseded are live
 * again, their tool calls are archived (a re-run calls tools afresh), and checkpoints after it are
 * marked abandoned. Forks that branched later than `toStep` first get their own copies of the pages
 * they shared (copy-on-write), so a rewind never takes pages from another agent's view.
 */
export async function rewindRecords(db: Db, agentId: string, toStep: number, cut?: MidStepCut): Promise<RewindOutcome> {
  // What the rewind abandons: everything after the boundary — or, cut inside the next step, what that step wrote from the cut on.
  const abandoned = (step: AnyPgColumn, createdAt: AnyPgColumn): SQL =>
    cut ? (or(gt(step, cut.step), and(eq(step, cut.step), gte(createdAt, cut.at))) as SQL) : gt(step, toStep);
  return db.transaction(async (tx) => {
    const [agent] = await tx.select().from(agents).where(eq(agents.id, agentId)).for('update');
    if (!agent) throw new Error(`agent ${agentId} is not in the database`);
    const branch = agent.branch + 1;
    const suffix = `~r${branch}`;

    // Copy-on-write for forks that still share pages this rewind abandons.
    const copiedToForks: Record<string, number> = {};
    const descendants = await tx.select({ id: agents.id, definition: agents.definition }).from(agents).where(sql`${agents.definition}->'lineage' @> ${JSON.stringify([{ agentId }])}::jsonb`);
    for (const d of descendants) {
      const def = d.definition as { lineage: ForkOrigin[]; forkOf?: ForkOrigin };
      const entry = def.lineage.find((o) => o.agentId === agentId);
      if (!entry || entry.step <= toStep) continue;
      if (def.forkOf?.agentId === agentId) {
        const copied = await tx.execute(sql`
          insert into context_pages (id, agent_id, kind, role, body, tokens, importance, pinned, retired, step, purpose, last_access_step, access_count, parent_page_id, meta)
          select ${d.id} || '.s' || step || '.inherited:' || purpose, ${d.id}, kind, role, body, tokens, importance, pinned, false, step, 'inherited:' || purpose, last_access_step, 0, id, meta
          from context_pages where agent_id = ${agentId} and step > ${toStep} and step <= ${entry.step} and retired = false
          on conflict do nothing`);
        copiedToForks[d.id] = (copied as unknown as { count?: number }).count ?? (copied as unknown as { affectedRows?: number }).affectedRows ?? 0;
      }
      const lineage = def.lineage.map((o) => (o.agentId === agentId && o.step > toStep ? { ...o, step: toStep } : o));
      await tx.update(agents).set({ definition: { ...def, lineage } }).where(eq(agents.id, d.id));
    }

    // Memory versions on the abandoned timeline: no longer current; what they superseded is live again.
    const abandonedMemories = await tx
      .select({ id: memories.id, supersedesId: memories.supersedesId })
      .from(memories)
      .innerJoin(contextPages, and(eq(contextPages.agentId, agentId), eq(contextPages.purpose, sql`'memory:' || ${memories.id}`)))
      .where(and(eq(memories.agentId, agentId), abandoned(contextPages.step, contextPages.createdAt)));
    if (abandonedMemories.length > 0) {
      await tx.update(memories).set({ abandoned: true }).where(inArray(memories.id, abandonedMemories.map((m) => m.id)));
    }
    const superseded = abandonedMemories.flatMap((m) => (m.supersedesId ? [`memory:${m.supersedesId}`] : []));
    const restored = superseded.length === 0 ? [] : await tx
      .update(contextPages)
      .set({ retired: false })
      .where(and(eq(contextPages.agentId, agentId), lte(contextPages.step, toStep), inArray(contextPages.purpose, superseded)))
      .returning({ id: contextPages.id });

    const archived = await tx
      .update(contextPages)
      .set({ id: sql`${contextPages.id} || ${suffix}`, purpose: sql`${contextPages.purpose} || ${suffix}`, retired: true, meta: sql`${contextPages.meta} || ${JSON.stringify({ rewound: branch })}::jsonb` })
      .where(and(eq(contextPages.agentId, agentId), abandoned(contextPages.step, contextPages.createdAt)))
      .returning({ id: contextPages.id });
    await tx.update(toolCalls).set({ id: sql`${toolCalls.id} || ${suffix}` }).where(and(eq(toolCalls.agentId, agentId), abandoned(toolCalls.step, toolCalls.createdAt)));
    await tx.update(checkpoints).set({ abandonedBy: branch }).where(and(eq(checkpoints.agentId, agentId), gt(checkpoints.step, toStep), isNull(checkpoints.abandonedBy)));

    const { spend: ledgerTotal } = await ledgerTotals(tx, eq(usageLedger.agentId, agentId));
    await tx
      .update(agents)
      .set({ branch, step: cut ? cut.step : toStep, status: 'running', hold: null, holdDetail: null, pendingApproval: null, exitReason: null, resultPageId: null, error: null, finishedAt: null, updatedAt: new Date() })
      .where(eq(agents.id, agentId));
    return { branch, archivedPages: archived.length, restoredPages: restored.length, copiedToForks, ledgerTotal };
  });
}
