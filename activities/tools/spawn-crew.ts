import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkCrew, prepareCrew, startCrewRun } from '../../control/crews';
import { getAgentRecord } from '../../db/agents';
import { getCrew, nodeResults, specOf } from '../../db/crews';
import { slugify } from '../../kernel/agent/spawn';
import { crewNodeSchema, crewSpecSchema, type CrewNode, type CrewSpec } from '../../kernel/crew/spec';
import { KernelError, rootMessage } from '../../kernel/errors';
import type { CrewResult } from '../../workflows/crew-api';
import { awaitDelegate, delegationRefusal, lendBudget } from './delegation';
import { defineTool } from './registry';

/** The most nodes a crew an agent starts may have. */
export const MAX_SUB_CREW_NODES = 20;

/** The tools a crew's agent nodes ask for. */
function toolsOf(nodes: readonly CrewNode[]): string[] {
  return nodes.flatMap((n) => (n.kind === 'agent' ? n.agent.tools : n.kind === 'foreach' ? n.foreach.agent.tools : []));
}

/** The nodes nothing depends on (and that stand for themselves, not as a fallback): the crew's answer. */
function sinksOf(nodes: readonly CrewNode[]): string[] {
  const needed = new Set(nodes.flatMap((n) => n.dependsOn));
  return nodes.filter((n) => !needed.has(n.id) && !n.fallbackOnly).map((n) => n.id);
}

/**
 * `spawn_crew`: the agent delegates to a sub-crew — a DAG of agents it describes as `POST /crews`
 * does — waits for it and pays for it from its own budget (the crew's budget is lent by the caller,
 * and the crew reports what it spent when it ends). The answer is the result of the crew's last
 * nodes. Members use only the caller's tools; depth and width count as for `spawn_agent`. Started
 * once per call however often the call is retried, and cancelled if the caller is killed.
 */
export const spawnCrewTool = defineTool({
  name: 'spawn_crew',
  description:
    'Delegate to a crew of sub-agents and wait for its answer. Describe the nodes as POST /crews does: each with an id, kind "agent" and an agent {role, goal, input, tools}, joined by dependsOn; an input may quote {{nodes.<id>.result}}. The answer is what its last nodes return.',
  args: z.object({
    name: z.string().trim().min(1).max(60).regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/),
    nodes: z.array(crewNodeSchema).min(1).max(MAX_SUB_CREW_NODES),
    maxTotalTokens: z.number().int().min(64).max(10_000_000).optional(),
    maxConcurrency: z.number().int().min(1).max(20).optional(),
  }),
  timeoutMs: 60 * 60_000,
  run: async (args, ctx) => {
    const kernel = ctx.kernel;
    if (!kernel) return 'error: spawn_crew is not available on this node';
    const caller = await getAgentRecord(ctx.db, ctx.agentId);
    if (!caller) return 'error: the calling agent is not in the database';
    const crewId = `crew.${slugify(args.name).slice(0, 30)}-${createHash('sha256').update(ctx.idempotencyKey).digest('hex').slice(0, 10)}`;
    // A retried call finds its crew stored (and its budget lent): it only makes sure it runs.
    const stored = await getCrew(ctx.db, crewId);
    let spec: CrewSpec;
    if (stored) spec = specOf(stored);
    else {
      const refusal = await delegationRefusal(ctx.db, caller, toolsOf(args.nodes), 'sub-crew');
      if (refusal) return refusal;
      const parsed = crewSpecSchema.safeParse({ name: args.name, tenant: caller.tenant, model: caller.model, maxConcurrency: args.maxConcurrency ?? 10, nodes: args.nodes });
      if (!parsed.success) return `refused: invalid crew: ${parsed.error.issues[0]?.message ?? 'it does not fit the crew schema'}`;
      try {
        checkCrew({ tools: kernel.tools }, parsed.data);
      } catch (err) {
        if (err instanceof KernelError && err.code === 'invalid_input') return `refused: ${err.message}`;
        throw err;
      }
      // The graph is sound: only now is budget lent (a refusal after it would strand the loan).
      const budget = await lendBudget(kernel, caller, crewId, args.maxTotalTokens);
      if (typeof budget === 'string') return budget;
      spec = { ...parsed.data, budget };
    }
    const input = await prepareCrew({ db: ctx.db, tools: kernel.tools }, spec, crewId, { actor: `agent:${caller.id}`, parentAgentId: caller.id });
    await startCrewRun({ client: kernel.client, db: ctx.db, taskQueue: kernel.taskQueue }, input, spec);
    // Wait for the crew; a kill of the caller cancels it (its running agents are cancelled with it).
    const handle = kernel.client.workflow.getHandle(crewId);
    try {
      const result = await awaitDelegate(ctx, () => handle.result() as Promise<CrewResult>, () => handle.cancel());
      if (result.status !== 'completed') return `sub-crew ${crewId} ended ${result.status}${result.failedNode ? ` at node ${result.failedNode}` : ''}`;
      const sinks = sinksOf(spec.nodes);
      const answers = await nodeResults(ctx.db, crewId, result.run, sinks);
      return `sub-crew ${crewId} completed; ${sinks.map((id) => `${id} ${answers[id]?.status === 'completed' ? `answered: ${answers[id]?.result ?? '(no answer)'}` : `was ${answers[id]?.status ?? 'not run'}`}`).join('; ')}`;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return `sub-crew ${crewId} failed: ${rootMessage(err)}`;
    }
  },
});
