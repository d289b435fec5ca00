import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { count, eq } from 'drizzle-orm';
import { z } from 'zod';
import { prepareAgent } from '../../control/spawn';
import { startAgentRun } from '../../control/start-run';
import { getAgentRecord, type AgentRow } from '../../db/agents';
import type { Db } from '../../db/client';
import { readPages } from '../../db/pages';
import { agents } from '../../db/schema';
import { slugify, spawnAgentSchema } from '../../kernel/agent/spawn';
import type { AgentResult } from '../../kernel/agent/state';
import { rootMessage } from '../../kernel/errors';
import { killSignal, reserveBudgetUpdate } from '../../workflows/agent-api';
import { defineTool } from './registry';

/** How deep delegation may go: an agent's sub-agent's sub-agent, and no further. */
export const MAX_DELEGATION_DEPTH = 3;
/** How many sub-agents one agent may start. */
export const MAX_SUB_AGENTS = 8;

/** How many parents an agent has above it. */
async function depthOf(db: Db, row: AgentRow): Promise<number> {
  let depth = 0;
  for (let parent = row.parentId; parent && depth < 10; depth++) parent = (await getAgentRecord(db, parent))?.parentId ?? null;
  return depth;
}

/**
 * `spawn_agent`: the agent delegates a task to a sub-agent it describes, waits for its answer and
 * pays for it from its own budget (the sub-agent borrows from it). Depth and width are limited; the
 * sub-agent's tools are a subset of the caller's. The sub-agent is started once per call, however
 * often the call is retried, and is killed if the caller is.
 */
export const spawnAgentTool = defineTool({
  name: 'spawn_agent',
  description: 'Delegate a task to a new sub-agent and wait for its answer. Give it a role, a goal and the task as input; optionally a budget in tokens and which of your tools it may use.',
  args: z.object({
    name: z.string().trim().min(1).max(60).regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/),
    role: z.string().trim().min(1).max(500),
    goal: z.string().trim().min(1).max(2_000),
    input: z.string().min(1).max(50_000),
    maxTotalTokens: z.number().int().min(64).max(10_000_000).optional(),
    tools: z.array(z.string().min(1).max(64)).max(16).default([]),
  }),
  timeoutMs: 30 * 60_000,
  run: async (args, ctx) => {
    const kernel = ctx.kernel;
    if (!kernel) return 'error: spawn_agent is not available on this node';
    const caller = await getAgentRecord(ctx.db, ctx.agentId);
    if (!caller) return 'error: the calling agent is not in the database';
    const childId = `${slugify(args.name).slice(0, 30)}-${createHash('sha256').update(ctx.idempotencyKey).digest('hex').slice(0, 10)}`;
    let child = await getAgentRecord(ctx.db, childId);
    if (!child) {
      if ((await depthOf(ctx.db, caller)) + 1 > MAX_DELEGATION_DEPTH) return `refused: delegation may go ${MAX_DELEGATION_DEPTH} levels deep at most`;
      const [{ n } = { n: 0 }] = await ctx.db.select({ n: count() }).from(agents).where(eq(agents.parentId, caller.id));
      if (n >= MAX_SUB_AGENTS) return `refused: an agent may start ${MAX_SUB_AGENTS} sub-agents at most`;
      const own = (caller.definition as { tools?: string[] }).tools ?? [];
      const extra = args.tools.filter((t) => !own.includes(t));
      if (extra.length > 0) return `refused: a sub-agent may only use your own tools (not ${extra.join(', ')})`;
      const request = { maxTotalTokens: args.maxTotalTokens ?? null, maxCostUsd: null };
      let budget;
      try {
        budget = await kernel.client.workflow.getHandle(caller.workflowId).executeUpdate(reserveBudgetUpdate, { args: [{ childId, request }] });
      } catch (err) {
        return `refused: your budget cannot be lent (${rootMessage(err)})`;
      }
      const spec = spawnAgentSchema.parse({ name: args.name, role: args.role, goal: args.goal, input: args.input, model: caller.model, tenant: caller.tenant, tools: args.tools, parentId: caller.id, constraints: { maxTotalTokens: budget.maxTotalTokens, maxCostUsd: budget.maxCostUsd } });
      const prepared = await prepareAgent({ db: ctx.db, tools: kernel.tools, taskQueue: kernel.taskQueue, defaultModel: kernel.defaultModel, agingIntervalMs: kernel.agingIntervalMs }, spec, { actor: `agent:${caller.id}`, agentId: childId });
      try {
        await startAgentRun({ client: kernel.client, db: ctx.db, taskQueue: kernel.taskQueue }, prepared.run, prepared.label);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError) && !(err instanceof Error && err.cause instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      child = await getAgentRecord(ctx.db, childId);
    }
    // Wait for the answer; a kill of the caller kills the sub-agent too.
    const handle = kernel.client.workflow.getHandle(childId);
    const onAbort = () => void handle.signal(killSignal, { reason: 'its parent was killed' }).catch(() => undefined);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = (await handle.result()) as AgentResult;
      const [page] = result.resultPageId ? await readPages(ctx.db, [result.resultPageId]) : [];
      return result.status === 'completed' ? `sub-agent ${childId} answered: ${page?.body ?? '(no answer)'}` : `sub-agent ${childId} ended ${result.status} (${result.exitReason})`;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return `sub-agent ${child?.id ?? childId} failed: ${rootMessage(err)}`;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  },
});
