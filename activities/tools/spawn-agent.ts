import { createHash } from 'node:crypto';
import { z } from 'zod';
import { prepareAgent, type PreparedAgent } from '../../control/spawn';
import { startAgentRun } from '../../control/start-run';
import { alreadyStarted } from '../../control/temporal';
import { getAgentRecord } from '../../db/agents';
import { readPages } from '../../db/pages';
import { slugify, spawnAgentSchema } from '../../kernel/agent/spawn';
import type { AgentResult } from '../../kernel/agent/state';
import { rootMessage } from '../../kernel/errors';
import { killSignal } from '../../workflows/agent-api';
import { awaitDelegate, delegationRefusal, lendBudget, returnLoan } from './delegation';
import { defineTool } from './registry';

export { MAX_DELEGATION_DEPTH, MAX_SUB_AGENTS } from './delegation';

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
    if (!(await getAgentRecord(ctx.db, childId))) {
      const refusal = await delegationRefusal(ctx.db, caller, args.tools, 'sub-agent');
      if (refusal) return refusal;
      const budget = await lendBudget(kernel, caller, childId, args.maxTotalTokens);
      if (typeof budget === 'string') return budget;
      const spec = spawnAgentSchema.parse({ name: args.name, role: args.role, goal: args.goal, input: args.input, model: caller.model, tenant: caller.tenant, tools: args.tools, parentId: caller.id, constraints: { maxTotalTokens: budget.maxTotalTokens, maxCostUsd: budget.maxCostUsd } });
      let prepared: PreparedAgent;
      try {
        prepared = await prepareAgent({ db: ctx.db, tools: kernel.tools, taskQueue: kernel.taskQueue, defaultModel: kernel.defaultModel, agingIntervalMs: kernel.agingIntervalMs, limits: kernel.limits }, spec, { actor: `agent:${caller.id}`, agentId: childId });
      } catch (err) {
        // Not stored (the tenant's cap, a bad spec): the loan goes back, and the model hears why.
        await returnLoan(kernel, caller, childId);
        return `refused: ${rootMessage(err)}`;
      }
      try {
        await startAgentRun({ client: kernel.client, db: ctx.db, taskQueue: kernel.taskQueue }, prepared.run, prepared.label);
      } catch (err) {
        if (!alreadyStarted(err)) throw err;
      }
    }
    // Wait for the answer; a kill of the caller kills the sub-agent too.
    const handle = kernel.client.workflow.getHandle(childId);
    try {
      const result = await awaitDelegate(ctx, () => handle.result() as Promise<AgentResult>, () => handle.signal(killSignal, { reason: 'its parent was killed' }));
      const [page] = result.resultPageId ? await readPages(ctx.db, [result.resultPageId]) : [];
      return result.status === 'completed' ? `sub-agent ${childId} answered: ${page?.body ?? '(no answer)'}` : `sub-agent ${childId} ended ${result.status} (${result.exitReason})`;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return `sub-agent ${childId} failed: ${rootMessage(err)}`;
    }
  },
});
