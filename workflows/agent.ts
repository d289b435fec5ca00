import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { KernelActivities } from '../activities';
import type { LlmStepResult } from '../activities/agent-step';
import { shouldContinueAsNew } from '../kernel/agent/continue-as-new';
import { rootMessage } from '../kernel/errors';
import { isTerminal, transition, type LifecycleEvent } from '../kernel/agent/lifecycle';
import { entityMemory } from './entity-memory';
import { hasChange } from './run-version';
import { addSpend, startingSnapshot, ZERO_SPEND, type AgentResult, type AgentRunInput, type AgentSnapshot, type HoldReason } from '../kernel/agent/state';
import { budgetPressure, remaining, type Budget, type Spend } from '../kernel/cost/budget';
import { fairnessKey, priorityKey } from '../kernel/scheduling/priority';
import { AGENT_NODE, AGENT_PRIORITY, AGENT_STATE, AGENT_STEP } from '../kernel/search-attributes';
import type { GpuLease, MigrationRequest } from '../kernel/agent/placement';
import { validateApproval, type ApprovalDecision } from '../kernel/tools/policy';
import {
  approvalPayloadSchema,
  budgetPatchSchema,
  checkPayload,
  childFinishedPayloadSchema,
  isOwnPage,
  lifecyclePayloadSchema,
  messagePayloadSchema,
  migratePayloadSchema,
  reservePayloadSchema,
  rewoundPayloadSchema,
} from '../kernel/agent/signal-payloads';
import { boundaryOf, settle } from './agent-settle';
import {
  approveToolCallUpdate,
  childFinishedSignal,
  killSignal,
  legacySignals,
  messageSignal,
  migrateSignal,
  pauseSignal,
  raiseBudgetUpdate,
  reserveBudgetUpdate,
  resumeSignal,
  rewoundSignal,
  setPriorityUpdate,
  stateQuery,
  stepQuery,
  usageQuery,
} from './agent-api';

const { recordHold, placeAgent } = proxyActivities<KernelActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const HEARTBEAT_TIMEOUT_MS = 15_000;
/** A step whose task started within this long (or a tenth of the aging interval, if less) lets the next go without aging. */
const AGING_QUIET_MS = 1_000;
/** How often an agent that cannot be placed (no GPU fits) asks again. */
const PLACEMENT_RETRY_MS = 5_000;
/** Patch id: a kill cancels a tool call in flight (runs recorded before it let the tool finish). */
const KILL_CANCELS_TOOLS = 'kill-cancels-tools';
/** Patch id: the `wait` tool sleeps on a durable timer in the workflow. */
const DURABLE_WAIT = 'durable-wait-tool';
/**
 * Patch id: the AgentStep search attribute is written with every state change and every
 * {@link STEP_ATTRIBUTE_EVERY} steps, not every step (an upsert is a history event and a visibility
 * write on the server per step; the live step is in Postgres and the API).
 */
const SPARSE_STEP_ATTRIBUTE = 'sparse-step-attribute';
const STEP_ATTRIBUTE_EVERY = 10;
const STEP_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 } as const;

/**
 * One agent process. Each step asks the model (an activity on the provider's task queue, with a
 * priority key from the kernel's policy), runs the tools it calls (approval-gated where required)
 * and appends page references, until a final answer, the step limit, or a kill. Pause, resume,
 * priority, budget and approvals arrive as signals and updates. History carries page ids only.
 */
export async function agentWorkflow(input: AgentRunInput): Promise<AgentResult> {
  const s: AgentSnapshot = startingSnapshot(input);
  const reservations: Record<string, Budget> = { ...(input.childReservations ?? {}) };
  let childUsage: Spend = input.childUsage ?? ZERO_SPEND;
  let sunk: Spend = input.sunkUsage ?? ZERO_SPEND;
  let llmQueue = input.llmTaskQueue;
  let migration: MigrationRequest | null = input.pendingPlacement ?? null;
  let paused = false;
  let killed = false;
  let budgetRaised = false;
  let decision: ApprovalDecision | null = null;
  let stepScope: CancellationScope | null = null;
  /** Whether the next step is scheduled with the aging timeout (see `runStep`): the run's first is. */
  let agingNext = true;
  const inbox: AgentSnapshot['pages'] = [];

  /** Spend on others' account: what finished children spent and what is lent to running ones. */
  const borrowed = (): Spend =>
    Object.values(reservations).reduce<Spend>((acc, r) => addSpend(acc, { promptTokens: r.maxTotalTokens ?? 0, completionTokens: 0, costUsd: r.maxCostUsd ?? 0 }), childUsage);
  /** Spend that counts against the budget: own (on every timeline), and borrowed. */
  const committed = (): Spend => addSpend(addSpend(s.usage, sunk), borrowed());

  const apply = (event: LifecycleEvent, hold: HoldReason = null) => {
    const next = transition(s.status, event);
    if (!next) return;
    s.status = next;
    s.hold = hold;
    upsertSearchAttributes([{ key: AGENT_STATE, value: next }, ...(hasChange(input, SPARSE_STEP_ATTRIBUTE, 1) ? [{ key: AGENT_STEP, value: s.step }] : [])]);
  };

  /** Parses a signal's payload; a payload that does not fit is dropped with a log line, never let into the state. */
  const accept = <T>(signal: string, schema: Parameters<typeof checkPayload<T>>[0], payload: unknown): T | null => {
    const checked = checkPayload(schema, payload);
    if (checked.ok) return checked.value;
    log.warn('signal payload dropped', { agentId: input.agentId, signal, reason: checked.reason });
    return null;
  };
  const onMigrate = (payload: unknown) => {
    const request = accept('kernel.migrate', migratePayloadSchema, payload);
    if (request) migration = request;
  };
  const onChildFinished = (payload: unknown) => {
    const report = accept('kernel.childFinished', childFinishedPayloadSchema, payload);
    if (!report) return;
    delete reservations[report.childId];
    childUsage = addSpend(childUsage, report.spent);
  };
  const onRewound = (payload: unknown) => {
    const report = accept('kernel.rewound', rewoundPayloadSchema, payload);
    if (report) sunk = report.sunk;
  };

  setHandler(stateQuery, () => ({ ...s, childUsage, childReservations: reservations, sunkUsage: sunk }), { description: 'The live state: status, hold, step, page table (references), budget and usage.' });
  setHandler(stepQuery, () => s.step, { description: 'Steps taken.' });
  setHandler(usageQuery, () => s.usage, { description: 'Tokens and USD the agent itself spent.' });
  setHandler(
    pauseSignal,
    (payload: unknown) => {
      if (accept('pause', lifecyclePayloadSchema, payload ?? {})) paused = true;
    },
    { description: 'Suspend at the next step boundary. Payload: {reason?}.' },
  );
  setHandler(resumeSignal, () => {
    paused = false;
  }, { description: 'Resume a paused agent.' });
  setHandler(
    killSignal,
    (payload: unknown) => {
      const body = accept('kill', lifecyclePayloadSchema, payload ?? {});
      if (!body) return;
      killed = true;
      s.error = body.reason || 'killed';
      stepScope?.cancel();
    },
    { description: 'Terminate the agent: the step or tool call in flight is cancelled. Payload: {reason?}.' },
  );
  setHandler(
    messageSignal,
    (payload: unknown) => {
      const page = accept('message', messagePayloadSchema, payload);
      if (!page) return;
      if (!isOwnPage(input.agentId, page.id)) {
        log.warn('signal payload dropped', { agentId: input.agentId, signal: 'message', reason: 'the page is not this agent\'s' });
        return;
      }
      inbox.push(page);
    },
    { description: 'A message page the API stored for this agent (use POST /agents/:id/messages).' },
  );
  setHandler(migrateSignal, onMigrate, { description: 'Kernel-internal (POST /agents/:id/migrate, drain): move at the next step boundary.' });
  setHandler(childFinishedSignal, onChildFinished, { description: 'Kernel-internal: a child agent reports its spend.' });
  setHandler(rewoundSignal, onRewound, { description: 'Kernel-internal (POST /agents/:id/rewind): what abandoned timelines cost.' });
  // Agents started before the internal signals took the `kernel.` prefix still answer the old names.
  if (input.signalNames !== 'kernel') {
    setHandler(legacySignals.migrate, onMigrate, { description: 'Legacy name of kernel.migrate (this agent started before it was renamed).' });
    setHandler(legacySignals.childFinished, onChildFinished, { description: 'Legacy name of kernel.childFinished (this agent started before it was renamed).' });
    setHandler(legacySignals.rewound, onRewound, { description: 'Legacy name of kernel.rewound (this agent started before it was renamed).' });
  }
  setHandler(
    setPriorityUpdate,
    (priority) => {
      s.priority = priority;
      upsertSearchAttributes([{ key: AGENT_PRIORITY, value: priority }]);
      return priority;
    },
    {
      validator: (priority) => {
        if (!Number.isInteger(priority) || priority < 1 || priority > 10) throw new Error('priority must be a whole number from 1 to 10');
      },
      description: 'Change the scheduling priority (1 most urgent … 10).',
    },
  );
  setHandler(
    approveToolCallUpdate,
    (d) => {
      decision = d;
      return { callId: d.callId, approved: d.approved };
    },
    {
      validator: (d) => {
        const checked = checkPayload(approvalPayloadSchema, d);
        if (!checked.ok) throw new Error(`invalid decision: ${checked.reason}`);
        const problem = validateApproval(s.pendingApproval, checked.value, input.agentId);
        if (problem) throw new Error(problem);
      },
      description: 'Approve or reject the pending tool call by its exact id: {callId, approved, approver, reason?}.',
    },
  );
  setHandler(
    raiseBudgetUpdate,
    (patch) => {
      s.budget = { ...s.budget, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
      budgetRaised = true;
      return s.budget;
    },
    {
      validator: (patch) => {
        if (isTerminal(s.status)) throw new Error(`agent is ${s.status}`);
        const checked = checkPayload(budgetPatchSchema, patch);
        if (!checked.ok) throw new Error(`invalid budget: ${checked.reason}`);
        for (const key of ['maxTotalTokens', 'maxCostUsd'] as const) {
          const v = patch[key];
          if (v === undefined || v === null) continue;
          const current = s.budget[key];
          if (!(v >= 0) || (current !== null && v < current)) throw new Error(`${key} can only be raised (now ${current}, asked ${v})`);
        }
      },
      description: 'Raise the budget: {maxTotalTokens?, maxCostUsd?}; a budget-suspended agent resumes.',
    },
  );
  setHandler(
    reserveBudgetUpdate,
    ({ childId, request }) => {
      // Asked again for the same child (a retried tool call): the same grant, lent once.
      const held = reservations[childId];
      if (held) return held;
      const left = remaining(s.budget, committed());
      const grant: Budget = {
        maxTotalTokens: pick(request.maxTotalTokens, left.maxTotalTokens),
        maxCostUsd: pick(request.maxCostUsd, left.maxCostUsd),
      };
      reservations[childId] = grant;
      return grant;
    },
    {
      validator: (payload) => {
        const checked = checkPayload(reservePayloadSchema, payload);
        if (!checked.ok) throw new Error(`invalid reservation: ${checked.reason}`);
        if (isTerminal(s.status)) throw new Error(`parent agent is ${s.status}`);
      },
      description: 'Kernel-internal: lend part of the remaining budget to a child agent or sub-crew (idempotent per child).',
    },
  );

  const hold = async (status: 'suspend' | 'wait', reason: HoldReason, until: () => boolean, timeoutMs?: number) => {
    apply(status, reason);
    await recordHold({ agentId: input.agentId, step: s.step, status: s.status, hold: reason, pendingApproval: s.pendingApproval, usage: s.usage, ...(s.holdDetail ? { detail: s.holdDetail } : {}) });
    if (timeoutMs === undefined) await condition(() => until() || killed);
    else await condition(() => until() || killed, timeoutMs);
    if (killed) return;
    apply(status === 'wait' ? 'unblock' : 'resume');
    await recordHold({ agentId: input.agentId, step: s.step, status: s.status, hold: null, usage: s.usage });
  };

  const runStep = async (step: number): Promise<LlmStepResult> => {
    for (let aged = 0; ; aged++) {
      // Aging needs the schedule-to-start timeout, and the server pays for it on every task (a fifth of a
      // bare workflow's throughput, measured): a step is scheduled with it unless the step before
      // started at once, unaged — an agent whose steps wait, or that needed aging, keeps it.
      const key = priorityKey({ basePriority: s.priority, agedIntervals: aged, budgetPressure: budgetPressure(s.budget, committed()) });
      const { llmStep } = proxyActivities<KernelActivities>({
        taskQueue: llmQueue,
        scheduleToStartTimeout: agingNext ? input.agingIntervalMs : undefined,
        startToCloseTimeout: input.stepTimeoutMs,
        // The step heartbeats while it waits on the model, so a dead node is noticed in seconds.
        heartbeatTimeout: Math.min(HEARTBEAT_TIMEOUT_MS, input.stepTimeoutMs),
        priority: { priorityKey: key, fairnessKey: fairnessKey(input.tenant) },
        retry: { ...STEP_RETRY, nonRetryableErrorTypes: ['BudgetExhausted', 'InvalidModel', 'AgentNotFound', 'AgentFinished', 'StaleRun', 'StepSuperseded'] },
      });
      try {
        const reply = await CancellationScope.cancellable(async () => {
          stepScope = CancellationScope.current();
          return llmStep({
            agentId: input.agentId,
            step,
            model: input.model,
            maxTokens: input.maxTokensPerStep,
            budget: s.budget,
            spent: committed(),
            borrowed: borrowed(),
            boundary: boundaryOf(s),
            gpuLease: s.gpuLease?.resource,
            usage: s.usage,
          });
        });
        // A worker of the previous release reports no queue wait: aging stays on.
        agingNext = aged > 0 || (reply.queuedMs ?? Number.POSITIVE_INFINITY) >= Math.min(AGING_QUIET_MS, input.agingIntervalMs / 10);
        return reply;
      } catch (err) {
        // Not picked up within the aging interval: re-queue one level higher so nothing starves.
        if (!isScheduleToStartTimeout(err)) throw err;
        log.info('step waited a full aging interval; raising its priority', { agentId: input.agentId, step, key });
      } finally {
        stepScope = null;
      }
    }
  };

  /** The input of the next run (continue-as-new): everything the agent has become. */
  const nextRun = (overrides: Partial<AgentRunInput> = {}): AgentRunInput => ({
    ...input,
    priority: s.priority,
    budget: s.budget,
    pages: [...s.pages, ...inbox],
    step: s.step,
    usage: s.usage,
    childReservations: reservations,
    childUsage,
    sunkUsage: sunk,
    node: s.node,
    gpuLease: s.gpuLease,
    llmTaskQueue: llmQueue,
    pendingPlacement: migration,
    ...overrides,
  });

  /**
   * Places the agent before its next step (a requested move, a GPU it needs): a node's queue that
   * is not this run's means continue-as-new there. Nothing fitting → waiting, with the reason, and
   * asking again every few seconds or on a new request.
   */
  const relocate = async (): Promise<void> => {
    while (migration && !killed) {
      const request: MigrationRequest = migration;
      const placed = await placeAgent({ ...request, agentId: input.agentId, model: input.model, gpu: input.gpu ?? null, heldLease: s.gpuLease });
      if (!placed.ok) {
        s.gpuLease = null;
        if (s.status !== 'waiting' || s.holdDetail !== placed.reason) {
          apply('wait', 'placement');
          s.holdDetail = placed.reason;
          await recordHold({ agentId: input.agentId, step: s.step, status: s.status, hold: 'placement', detail: placed.reason, usage: s.usage });
        }
        await condition(() => killed || migration !== request, PLACEMENT_RETRY_MS);
        continue;
      }
      migration = null;
      if (s.status === 'waiting') {
        apply('unblock');
        s.holdDetail = null;
        await recordHold({ agentId: input.agentId, step: s.step, status: s.status, hold: null, usage: s.usage });
      }
      s.node = placed.node;
      s.gpuLease = placed.gpuLease;
      llmQueue = placed.llmTaskQueue;
      upsertSearchAttributes([{ key: AGENT_NODE, value: placed.node ?? 'any' }]);
      if (placed.taskQueue !== workflowInfo().taskQueue) {
        await condition(allHandlersFinished);
        log.info('moving to another node', { agentId: input.agentId, node: placed.node, reason: request.reason });
        await entities.drain();
        await makeContinueAsNewFunc<typeof agentWorkflow>({ taskQueue: placed.taskQueue })(nextRun());
      }
    }
  };

  const entities = entityMemory(input, (usage) => {
    s.usage = addSpend(s.usage, usage);
  });
  apply('start');
  try {
    while (s.step < input.maxSteps && !killed) {
      if (paused) await hold('suspend', 'paused', () => !paused);
      if (migration) await relocate();
      if (killed) break;
      s.pages.push(...inbox.splice(0));
      const step = s.step + 1;
      // What this step takes in that the last did not: the input (or a fork's), and messages that arrived.
      const taken = s.pages.filter((p) => p.step >= s.step);

      let reply: LlmStepResult;
      try {
        reply = await runStep(step);
      } catch (err) {
        if (killed && isCancellation(err)) break;
        if (failureType(err) === 'GpuLeaseLost') {
          s.gpuLease = null;
          migration = { node: null, reason: 'gpu_lease_lost' };
          continue;
        }
        if (failureType(err) === 'BudgetExhausted') {
          budgetRaised = false;
          await hold('suspend', 'budget_exhausted', () => budgetRaised);
          continue;
        }
        throw err;
      }
      // A reset from the Temporal UI or CLI was detected and rewound by the step: its abandoned spend still counts.
      if (reply.rewound) sunk = reply.rewound.sunk;
      s.pages.push(reply.page);
      s.step = step;
      s.usage = addSpend(s.usage, reply.usage);
      entities.after(step, taken);
      if (!hasChange(input, SPARSE_STEP_ATTRIBUTE, 1) || step % STEP_ATTRIBUTE_EVERY === 0) upsertSearchAttributes([{ key: AGENT_STEP, value: step }]);
      // The provider billed more than the budget allowed (its prompt count was above our reservation):
      // stop at once — no tool runs — until the budget is raised.
      if (reply.overBudget) {
        budgetRaised = false;
        await hold('suspend', 'budget_exhausted', () => budgetRaised);
        if (killed) break;
      }

      for (const call of reply.toolCalls) {
        // An MCP call carries the policy its server had when the model asked; a kernel tool's was fixed at spawn.
        const policy = call.policy ?? input.tools.find((t) => t.name === call.name);
        let d: ApprovalDecision | undefined;
        if (policy?.requiresApproval) {
          s.pendingApproval = { callId: call.id, tool: call.name, step };
          decision = null;
          await hold('wait', 'approval', () => decision !== null);
          d = decision ?? undefined;
          s.pendingApproval = null;
          decision = null;
          if (killed) break;
        }
        const { runTool } = proxyActivities<KernelActivities>({
          startToCloseTimeout: policy?.timeoutMs ?? 30_000,
          // The tool heartbeats every second, so a kill reaches it (and a dead node is noticed) quickly.
          heartbeatTimeout: Math.min(HEARTBEAT_TIMEOUT_MS, policy?.timeoutMs ?? 30_000),
          retry: { initialInterval: '1 second', maximumAttempts: 5 },
        });
        const toolInput = { agentId: input.agentId, step, callId: call.id, decision: d, usage: s.usage };
        let result;
        if (hasChange(input, KILL_CANCELS_TOOLS, 1)) {
          try {
            result = await CancellationScope.cancellable(async () => {
              stepScope = CancellationScope.current();
              return runTool(toolInput);
            });
          } catch (err) {
            if (killed && isCancellation(err)) break;
            throw err;
          } finally {
            stepScope = null;
          }
        } else {
          result = await runTool(toolInput);
        }
        const { rewound, sleepMs, ...page } = result;
        if (rewound) sunk = rewound.sunk;
        s.pages.push(page);
        // The `wait` tool: a durable timer in the workflow, holding no worker, cut short only by a kill.
        if (sleepMs && hasChange(input, DURABLE_WAIT, 1)) {
          s.holdDetail = `waiting ${Math.round(sleepMs / 1000)} s (until ${new Date(Date.now() + sleepMs).toISOString()})`;
          await hold('wait', 'timer', () => false, sleepMs);
          s.holdDetail = null;
          if (killed) break;
        }
      }
      if (killed) break;
      if (reply.toolCalls.length === 0 && reply.stopReason !== 'continue') {
        s.exitReason = 'final_answer';
        s.resultPageId = reply.page.id;
        break;
      }
      if (shouldContinueAsNew(workflowInfo())) {
        await entities.drain();
        await condition(allHandlersFinished);
        log.info('continuing as new', { agentId: input.agentId, step });
        await continueAsNew<typeof agentWorkflow>(nextRun());
      }
    }
    if (killed) {
      s.exitReason = 'killed';
      apply('kill');
    } else {
      if (!s.exitReason) {
        s.exitReason = 'max_steps';
        s.resultPageId = s.pages.findLast((p) => p.role === 'assistant')?.id ?? null;
      }
      apply('complete');
    }
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    s.error = rootMessage(err);
    if (isCancellation(err)) {
      s.exitReason = 'killed';
      apply('kill');
      await CancellationScope.nonCancellable(() => settle(s, input));
      throw err;
    }
    s.exitReason = 'error';
    apply('fail');
  }

  await entities.drain();
  const result = await settle(s, input);
  if (result.status === 'failed') throw ApplicationFailure.nonRetryable(`agent ${input.agentId} failed: ${s.error}`, 'AgentFailed');
  return result;
}

function pick(requested: number | null, left: number | null): number | null {
  if (left === null) return requested;
  return requested === null ? left : Math.min(requested, left);
}

function isScheduleToStartTimeout(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause.type ?? undefined : undefined;
}
