import {
  CancellationScope,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  condition,
  workflowInfo,
} from '@temporalio/workflow';
import type { CrewActivities } from '../activities/crew';
import type { AgentResult } from '../kernel/agent/state';
import { addSpend, ZERO_SPEND } from '../kernel/agent/state';
import type { Spend } from '../kernel/cost/budget';
import type { PlanNode } from '../kernel/crew/plan';
import { decide, finished, isDone, onFailure, shareOf, unstartedWork, type CrewState } from '../kernel/crew/schedule';
import { gatePayloadSchema } from '../kernel/crew/payloads';
import { checkPayload } from '../kernel/agent/signal-payloads';
import { rootMessage } from '../kernel/errors';
import { CREW_ID } from '../kernel/search-attributes';
import { agentWorkflow } from './agent';
import { childFinishedSignal } from './agent-api';
import { childAgentOptions } from './child-agent';
import { crewStateQuery, decideGateUpdate, type CrewResult, type CrewRunInput, type GateDecision } from './crew-api';
import { crewForeachWorkflow } from './crew-foreach';

const acts = proxyActivities<CrewActivities>({ startToCloseTimeout: '1 minute', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

/**
 * One crew run: a DAG of agents as one durable workflow. Each agent node is a child `agentWorkflow`
 * (parent and children in the Temporal UI, filterable by `CrewId`); independent branches run at the
 * same time, under `maxConcurrency`. Conditions, joins and failure policies come from the plan; gates
 * wait for a person (a validated update bound to this run and node); waits are durable timers; a
 * foreach fans out in its own child workflow. Bodies stay in Postgres: results travel as page ids.
 */
export async function crewWorkflow(input: CrewRunInput): Promise<CrewResult> {
  const { plan, crewId, run } = input;
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const state: CrewState = Object.fromEntries(plan.nodes.map((n) => [n.id, { status: input.reused?.[n.id] ?? 'pending', attempt: 0 }]));
  let spent: Spend = input.reusedSpend ?? ZERO_SPEND;
  const lent = new Map<string, Spend>();
  const gates = new Map<string, GateDecision | null>();
  const running = new Map<string, { scope: CancellationScope; done: Promise<void> }>();
  /** Nodes whose run was interrupted (cancelled, or an activity gave up): recorded at the end. */
  const interrupted: string[] = [];
  /** The agents each agent node started (every attempt); the last one of an interrupted node is settled at the end. */
  const agentsOf = new Map<string, string[]>();
  let status: CrewResult['status'] | 'running' = 'running';
  let failedNode: string | null = null;
  let ticks = 0;
  const touch = () => {
    ticks++;
  };

  setHandler(crewStateQuery, () => ({ status, nodes: state, usage: spent, lent: [...lent.values()].reduce(addSpend, ZERO_SPEND), gates: [...gates.entries()].filter(([, d]) => d === null).map(([id]) => id) }), { description: 'Every node’s status and attempt, the spend, and the gates waiting for a person.' });
  setHandler(
    decideGateUpdate,
    (d) => {
      gates.set(d.node, d);
      touch();
      return { node: d.node, approved: d.approved };
    },
    {
      validator: (d) => {
        const checked = checkPayload(gatePayloadSchema, d);
        if (!checked.ok) throw new Error(`invalid decision: ${checked.reason}`);
        if (!gates.has(checked.value.node) || gates.get(checked.value.node) !== null) throw new Error(`node ${checked.value.node} is not a gate waiting for a decision in run ${run} of ${crewId}`);
      },
      description: 'Open or close a gate that waits: {node, approved, approver, reason?}. Bound to this crew run and node.',
    },
  );

  const lentTotal = () => [...lent.values()].reduce(addSpend, ZERO_SPEND);
  const settle = (node: PlanNode, status: string, extra: Record<string, unknown> = {}) => acts.settleCrewNode({ crewId, run, node: node.id, kind: node.kind, status, attempt: state[node.id]!.attempt, ...extra });

  /** Runs one agent as a child workflow; returns its result, or the reason it failed. */
  const runAgent = async (node: PlanNode): Promise<{ ok: boolean; agentId: string; resultPageId: string | null; error: string | null }> => {
    const grant = shareOf(input.budget, spent, lentTotal(), unstartedWork(plan, state, node.id));
    lent.set(node.id, { promptTokens: grant.maxTotalTokens ?? 0, completionTokens: 0, costUsd: grant.maxCostUsd ?? 0 });
    try {
      const child = await acts.startCrewAgent({ crewId, run, node: node.id, attempt: state[node.id]!.attempt, budget: grant });
      agentsOf.set(node.id, [...(agentsOf.get(node.id) ?? []), child.agentId]);
      try {
        const result: AgentResult = await executeChild(agentWorkflow, { ...childAgentOptions(child, crewId), args: [child.run] });
        return { ok: result.status === 'completed', agentId: child.agentId, resultPageId: result.resultPageId, error: result.status === 'completed' ? null : `the agent ended ${result.status} (${result.exitReason})` };
      } catch (err) {
        if (isCancellation(err)) throw err;
        return { ok: false, agentId: child.agentId, resultPageId: null, error: rootMessage(err) };
      }
    } finally {
      lent.delete(node.id);
    }
  };

  /** Runs a node to its end (retries and fallbacks included) and records it. */
  const runNode = async (node: PlanNode): Promise<void> => {
    const s = state[node.id]!;
    s.status = 'running';
    if (node.conditional && !(await acts.evaluateCrewCondition({ crewId, run, node: node.id }))) {
      s.status = 'skipped';
      await settle(node, 'skipped', { error: 'its condition was false' });
      return;
    }
    for (;;) {
      s.attempt++;
      let ok = false;
      let error: string | null = null;
      if (node.kind === 'agent') {
        const r = await runAgent(node);
        const used = await settle(node, r.ok ? 'completed' : 'failed', { agentIds: [r.agentId], resultPageId: r.resultPageId, error: r.error });
        spent = addSpend(spent, used);
        ok = r.ok;
        error = r.error;
      } else if (node.kind === 'gate') {
        s.status = 'waiting';
        gates.set(node.id, null);
        await settle(node, 'waiting');
        await condition(() => gates.get(node.id) !== null);
        const d = gates.get(node.id)!;
        gates.delete(node.id);
        s.status = 'running';
        ok = d.approved;
        error = d.approved ? null : `rejected by ${d.approver}${d.reason ? `: ${d.reason}` : ''}`;
        await settle(node, ok ? 'completed' : 'failed', { resultText: `${d.approved ? 'approved' : 'rejected'} by ${d.approver}${d.reason ? `: ${d.reason}` : ''}`, error });
      } else if (node.kind === 'wait') {
        await settle(node, 'running');
        const ms = node.wait?.forMs ?? Math.max(0, Date.parse(node.wait?.until ?? '') - Date.now());
        await sleep(Math.max(1, ms));
        ok = true;
        await settle(node, 'completed', { resultText: `waited until ${new Date().toISOString()}` });
      } else {
        const count = await acts.expandCrewItems({ crewId, run, node: node.id, attempt: s.attempt });
        const grant = shareOf(input.budget, spent, lentTotal(), unstartedWork(plan, state, node.id));
        lent.set(node.id, { promptTokens: grant.maxTotalTokens ?? 0, completionTokens: 0, costUsd: grant.maxCostUsd ?? 0 });
        try {
          const retries = typeof node.onFailure === 'object' && 'retry' in node.onFailure ? node.onFailure.retry : 0;
          const r = await executeChild(crewForeachWorkflow, {
            workflowId: `${crewId}.${node.id}.r${run}a${s.attempt}`,
            args: [{ crewId, run, node: node.id, tenant: input.tenant, count, concurrency: node.foreach!.concurrency, budget: grant, next: 0, completed: 0, failed: 0, usage: ZERO_SPEND, retries }],
            parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            staticSummary: `${node.id}: ${count} items, ${node.foreach!.concurrency} at a time`,
            typedSearchAttributes: [{ key: CREW_ID, value: crewId }],
          });
          const collected = await acts.collectCrewItems({ crewId, run, node: node.id, attempt: s.attempt });
          ok = r.failed === 0 || node.onFailure === 'continue';
          error = r.failed === 0 ? null : `${r.failed} of ${count} items failed`;
          const used = await settle(node, ok ? 'completed' : 'failed', { agentPrefix: collected.agentPrefix, resultPageId: collected.resultPageId, error });
          spent = addSpend(spent, used);
        } finally {
          lent.delete(node.id);
        }
      }
      if (ok) {
        s.status = 'completed';
        return;
      }
      const action = onFailure(node, s.attempt, state);
      if (action.kind === 'retry') continue;
      if (action.kind === 'fallback') {
        const fallback = byId.get(action.node)!;
        await runNode(fallback);
        if (state[fallback.id]!.status === 'completed') {
          s.status = 'completed';
          s.via = fallback.id;
          await acts.stitchFallback({ crewId, run, node: node.id, via: fallback.id });
          return;
        }
      }
      s.status = 'failed';
      if (action.kind !== 'continue' && !failedNode) failedNode = node.id;
      log.warn('crew node failed', { crewId, node: node.id, error });
      return;
    }
  };

  const launch = (node: PlanNode) => {
    state[node.id]!.status = 'running';
    const scope = new CancellationScope();
    const done = scope
      .run(() => runNode(node))
      .catch((err: unknown) => {
        state[node.id]!.status = 'failed';
        interrupted.push(node.id);
        if (!isCancellation(err) && !failedNode) failedNode = node.id;
      })
      .finally(() => {
        running.delete(node.id);
        touch();
      });
    running.set(node.id, { scope, done });
  };

  try {
    for (;;) {
      // Taken before any await of this pass, so a node that finishes meanwhile is never missed.
      const seen = ticks;
      // A failed node stops the crew: nothing new starts after it.
      if (failedNode) break;
      const { ready, skip } = decide(plan, state);
      for (const id of skip) {
        state[id]!.status = 'skipped';
        await settle(byId.get(id)!, 'skipped', { error: 'a predecessor it needs was skipped or failed' });
      }
      let busy = [...running.keys()].filter((id) => ['agent', 'foreach'].includes(byId.get(id)!.kind)).length;
      for (const id of ready) {
        const node = byId.get(id)!;
        const heavy = node.kind === 'agent' || node.kind === 'foreach';
        if (heavy && busy >= plan.maxConcurrency) continue;
        if (heavy) busy++;
        launch(node);
      }
      if (failedNode || finished(plan, state)) break;
      if (running.size === 0 && ready.length === 0 && skip.length === 0) {
        failedNode = plan.nodes.find((n) => !isDone(state[n.id]!.status))?.id ?? null;
        break;
      }
      await condition(() => ticks !== seen);
    }
    status = failedNode ? 'failed' : 'completed';
  } catch (err) {
    if (!isCancellation(err)) throw err;
    status = 'cancelled';
  }

  // Fail fast (or cancelled): stop what runs, and record what never ran.
  return CancellationScope.nonCancellable(async () => {
    for (const r of running.values()) r.scope.cancel();
    await Promise.all([...running.values()].map((r) => r.done));
    for (const id of interrupted) {
      const used = await settle(byId.get(id)!, 'failed', { agentIds: (agentsOf.get(id) ?? []).slice(-1), error: status === 'cancelled' ? 'cancelled with the crew' : failedNode === id ? 'interrupted' : `stopped: the crew failed at ${failedNode}` });
      spent = addSpend(spent, used);
    }
    for (const node of plan.nodes) {
      const s = state[node.id]!;
      if (s.status === 'pending' && !node.fallbackOnly) {
        s.status = 'skipped';
        await settle(node, 'skipped', { error: status === 'cancelled' ? 'the crew was cancelled' : `the crew failed at ${failedNode}` });
      }
    }
    const final = status;
    if (final !== 'completed') await acts.closeUnstartedAgents({ crewId, run });
    await acts.finishCrew({ crewId, run, status: final, failedNode, runId: workflowInfo().runId });
    if (input.parentAgentId) {
      // A sub-crew settles with the agent that lent it its budget, as a child agent does.
      try {
        await getExternalWorkflowHandle(input.parentAgentId).signal(childFinishedSignal, { childId: crewId, spent });
      } catch (err) {
        log.warn('could not report spend to the parent agent', { crewId, parentAgentId: input.parentAgentId, error: rootMessage(err) });
      }
    }
    return { crewId, run, status: final, failedNode, usage: spent, nodes: Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.status])) };
  });
}
