import { untilDatabaseAnswers } from './database-wait';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { emitFencedEvent, fenceCheck } from '../db/fence';
import type { PubSub } from '../db/notify';
import { agentEvents, agents, usageLedger } from '../db/schema';
import { EVENTS_CHANNEL, type AgentEvent } from '../db/events';
import { findPage, toPageRef, writePage, type PageRow } from '../db/pages';
import { scopeOf } from '../db/scope';
import { recordCheckpoint, type BoundaryState } from '../db/checkpoints';
import { appendAuditIn } from '../db/audit';
import type { VectorRetrieval } from '../db/retrieval';
import { buildContext, gatherContext, type GatherRequest, type PressureThresholds, type Summariser } from './context/build-context';
import { IdentityHints, type AgentIdentityRow } from './identity-hints';
import { countChatTokens, countTextTokens } from '../kernel/llm/tokens';
import { bill, discardedPart, ledgerTotals, releaseReservation, reserveSpend, tenantSpendSince, utcDayStart } from '../db/ledger';
import { addSpend, ZERO_SPEND, type PageRef } from '../kernel/agent/state';
import { overshoot, planCall, promptMargin, type Budget, type Spend } from '../kernel/cost/budget';
import { promptMarginOf, recordPromptRatio } from '../db/calibration';
import { costUsd } from '../kernel/cost/prices';
import type { KernelLimits } from '../kernel/limits';
import { callCostUsd, priceOf } from '../kernel/cost/price-table';
import { kernelMetrics } from '../infra/telemetry/metrics';
import { observedModelCall } from '../infra/telemetry/model-call';
import { ProviderError } from '../kernel/llm/errors';
import type { LlmProvider, StopReason, TokenUsage, ToolCall } from '../kernel/llm/types';
import type { ProviderGuard } from './llm/guard';
import { mcpToolset, NO_MCP_TOOLS, type McpCallPolicy, type McpToolset } from './tools/mcp/toolset';
import type { ToolRegistry } from './tools/registry';
import { renewGpuLease } from './placement';
import { leasedDevices } from '../db/leases';
import { currentRun } from './run-identity';
import { claimStep, fencedOut, type DetectedRewind, type StepClaim } from './step-claim';
import { beginStep } from '../db/step-begin';
import { commitStep } from '../db/step-commit';
import { eq } from 'drizzle-orm';
import { pageId } from '../kernel/agent/prompt';

/** What one agent step needs: ids, limits and what was spent (bodies are read from Postgres). */
export interface LlmStepInput {
  agentId: string;
  step: number;
  model: string;
  maxTokens: number;
  budget: Budget;
  spent: Spend;
  /** The boundary before this step, recorded as a checkpoint (history length for reset, small state). */
  boundary?: { historyEventId: number; state: BoundaryState };
  /** The GPU reservation the agent holds, renewed by every step. */
  gpuLease?: string;
  /** The agent's own spend before this step (mirrored onto its row with the reply). */
  usage?: Spend;
  /**
   * Spend on others' account (children's, and what is lent to them). When given, the step takes the
   * agent's own spend from the ledger — every timeline, every discarded bill — rather than from `spent`,
   * so a rewind's abandoned spend counts from the very first step after it.
   */
  borrowed?: Spend;
}

/** What one agent step returns to the workflow: a reference to the reply, never its text. */
export interface LlmStepResult {
  page: PageRef;
  usage: Spend;
  stopReason: StopReason;
  /** The calls the model asked for, by id and tool (their arguments stay in the reply page); an MCP call carries the policy its server had at this step. */
  toolCalls: Array<{ id: string; name: string; policy?: McpCallPolicy }>;
  /** Set when this step found the workflow reset outside the kernel and rewound the agent's records. */
  rewound?: DetectedRewind;
  /** Set when the provider's bill for this step went past the budget: the agent must stop now. */
  overBudget?: { tokens: number; costUsd: number };
  /** How long this attempt's task waited in its queue before a worker started it (the workflow ages the next step only after a wait). */
  queuedMs?: number;
}

interface ReplyMeta {
  /** The run that wrote the reply (a reply of another run at the same step means the workflow was reset). */
  runId?: string;
  usage: Spend;
  /** How far the provider's bill went past the budget (the agent stops at once). */
  overBudget?: { tokens: number; costUsd: number };
  /** The completion cap the budget set, when it was lower than the step's. */
  completionCap?: number;
  stopReason: StopReason;
  usageSource: string;
  provider: string;
  toolCalls: ToolCall[];
  /** The policy of each MCP call, by call id, as its server had it when the model asked. */
  mcpPolicies?: Record<string, McpCallPolicy>;
}

/** What the step activity needs from its node. */
export interface LlmStepDeps {
  db: Db;
  pubsub: PubSub;
  providerFor: (spec: string) => LlmProvider;
  tools: ToolRegistry;
  guard: ProviderGuard;
  pressure: PressureThresholds;
  vectors?: VectorRetrieval;
  nodeId?: string;
  gpuLeaseMs?: number;
  /** Live caps; a step past its tenant's daily USD (`tenantDailyCostCapUsd`) suspends its agent. Unset: no cap. */
  limits?: KernelLimits;
}

/** The policies of a reply's MCP calls, by call id (nothing when it made none). */
function mcpPoliciesOf(calls: readonly ToolCall[], mcp: McpToolset): { mcpPolicies?: Record<string, McpCallPolicy> } {
  const found = calls.flatMap((c) => {
    const policy = mcp.policies.get(c.name);
    return policy ? [[c.id, policy] as const] : [];
  });
  return found.length ? { mcpPolicies: Object.fromEntries(found) } : {};
}

/** The step's result from its reply page (its reference and the meta stored with it). */
function resultOf(page: PageRef, meta: ReplyMeta): LlmStepResult {
  const policies = meta.mcpPolicies ?? {};
  const toolCalls = meta.toolCalls.map((c) => (policies[c.id] ? { id: c.id, name: c.name, policy: policies[c.id] } : { id: c.id, name: c.name }));
  return { page, usage: meta.usage, stopReason: meta.stopReason, toolCalls, ...(meta.overBudget ? { overBudget: meta.overBudget } : {}) };
}

function resultFrom(row: PageRow): LlmStepResult {
  return resultOf(toPageRef(row), row.meta as ReplyMeta);
}

/**
 * Streams token events in batches (every 100 ms) so a long answer costs a few rows, not thousands;
 * fenced, so none follows a kill. `first` (the step's `step.started`, unless the claim wrote it) is
 * written before any of them, while the model already runs. `drain()` waits for what was sent and hands back what is still
 * buffered, for the step's commit to write with its own event (one round trip fewer).
 */
function tokenStreamer(deps: LlmStepDeps, agentId: string, step: number, fence: number, first: AgentEvent | undefined) {
  let buffer = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Event writes are not the step's outcome: one that fails is dropped (SSE clients miss it), never
  // left unhandled while the model runs, and never keeps a paid reply from its commit.
  let chain: Promise<unknown> = first ? emitFencedEvent(deps.db, first, fence).catch(() => false) : Promise.resolve();
  const flush = () => {
    timer = undefined;
    if (!buffer) return;
    const text = buffer;
    buffer = '';
    chain = chain.then(() => emitFencedEvent(deps.db, { agentId, step, kind: 'token', data: { text } }, fence)).catch(() => false);
  };
  return {
    onToken(text: string) {
      buffer += text;
      timer ??= setTimeout(flush, 100);
    },
    /** Stops the timer, waits for the events sent so far, and returns the text not yet sent. */
    async drain(): Promise<string> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await chain;
      const rest = buffer;
      buffer = '';
      return rest;
    },
    /** Sends what is left as a token event. */
    async close(): Promise<void> {
      flush();
      await chain;
    },
  };
}

/** Builds the `llmStep` activity: one model call per agent step, stored as a reply page, idempotent. */
export function createLlmStep(deps: LlmStepDeps) {
  const { db } = deps;
  const identities = new IdentityHints();
  /** What the context's reads need, from an agent's identity: its scope, tools and window. */
  const gatherRequest = (agent: AgentIdentityRow, input: LlmStepInput, mcp: McpToolset = NO_MCP_TOOLS): GatherRequest & { contextTokens?: number } => {
    const definition = agent.definition as { tools?: string[]; constraints?: { contextTokens?: number } };
    const allowed = (definition.tools ?? []).filter((t) => deps.tools.get(t));
    return { agentId: input.agentId, agent, scope: scopeOf(agent), step: input.step, model: input.model, maxTokens: input.maxTokens, tools: [...deps.tools.schemas(allowed), ...mcp.schemas], contextTokens: definition.constraints?.contextTokens, vectors: deps.vectors };
  };
  /** The MCP tools the agent's allow-list grants now (no read at all for an agent that names none). */
  const mcpFor = (agent: AgentIdentityRow): Promise<McpToolset> => mcpToolset(db, agent.tenant, (agent.definition as { tools?: string[] }).tools ?? []);
  const step = async (input: LlmStepInput): Promise<LlmStepResult> => {
    // One statement: the step's reply if an earlier attempt stored it, else the claim (a fencing token
    // for every write below) and the checkpoint of the boundary before the step.
    const { runId } = currentRun();
    const limited = input.budget.maxTotalTokens !== null || input.budget.maxCostUsd !== null;
    // The ledger is the truth about the agent's own spend (every timeline, discarded bills too).
    const spentNow = async (): Promise<Spend> => (input.borrowed ? addSpend((await ledgerTotals(db, eq(usageLedger.agentId, input.agentId))).spend, input.borrowed) : input.spent);
    // When this worker ran the agent's last step, the context's reads start now, beside the claim
    // (checked against the claimed row below).
    const hint = identities.get(input.agentId);
    const early = hint ? mcpFor(hint).then((mcp) => gatherContext(db, gatherRequest(hint, input, mcp))) : undefined;
    early?.catch(() => undefined);
    // The claim reads, in the same statement, the agent's own spend and the model's learned prompt margin.
    const claimStarted = performance.now();
    // The step's `step.started` goes out with the claim, except for a GPU step (its devices are read after the claim).
    const startedData = { model: input.model, attempt: Context.current().info.attempt, node: deps.nodeId ?? null };
    const start = await beginStep(db, { agentId: input.agentId, step: input.step, runId, boundary: input.boundary, ledger: input.borrowed !== undefined, ...(limited ? { calibrationOf: input.model } : {}), ...(input.gpuLease ? {} : { started: startedData }) });
    kernelMetrics.checkpoint((performance.now() - claimStarted) / 1000);
    const marginP = limited ? (start.promptRatios ? Promise.resolve(promptMargin(start.promptRatios)) : promptMarginOf(db, input.model)) : Promise.resolve(1);
    const spentBefore = input.borrowed && start.spend ? Promise.resolve(addSpend(start.spend, input.borrowed)) : spentNow();
    for (const p of [marginP, spentBefore]) p.catch(() => undefined);
    const done = start.prior;
    const writer = (done?.meta as ReplyMeta | undefined)?.runId;
    // A retry after the reply was stored returns it: the model is never billed twice for a step.
    if (done && (!writer || writer === runId)) return resultFrom(done);
    // A reply of another run here means a reset; a terminal agent may have been reset after it ended.
    if (!start.agent && input.boundary) {
      await recordCheckpoint(db, { agentId: input.agentId, runId, step: input.step - 1, historyEventId: input.boundary.historyEventId, state: input.boundary.state });
    }
    const claim: StepClaim = start.agent
      ? { agent: start.agent, fence: start.agent.fence }
      : await claimStep(deps, {
          agentId: input.agentId,
          runId,
          foreignRecord: done !== undefined,
          boundary: { toStep: input.step - 1, usage: input.boundary?.state.usage ?? input.usage ?? ZERO_SPEND },
        });
    const { agent, fence } = claim;
    // The early reads stand only for a step claimed in the one statement: a claim that rewound the
    // agent's records (a reset from outside) or revived it reads its context again.
    const sameIdentity = identities.remember(agent, hint);
    const gathered = start.agent && sameIdentity ? early : undefined;
    if (input.gpuLease) await renewGpuLease(db, input.agentId, input.gpuLease, deps.gpuLeaseMs ?? 120_000);
    // The devices the lease holds: in the step's context (its started event, and the model request for in-process work).
    const devices = input.gpuLease ? await leasedDevices(db, input.agentId) : [];

    const mcp = await mcpFor(agent);
    const { tools, contextTokens } = gatherRequest(agent, input, mcp);
    let provider: LlmProvider;
    try {
      provider = deps.providerFor(input.model);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidModel');
    }
    const cap = deps.limits?.tenantDailyCostCapUsd ?? 0;
    if (cap > 0) {
      const today = await tenantSpendSince(db, agent.tenant, utcDayStart(new Date()));
      // The tenant's day is spent: the agent suspends like any agent out of budget (nothing is called).
      if (today >= cap) throw ApplicationFailure.create({ message: `budget exhausted: tenant ${agent.tenant} has spent ${today.toFixed(4)} of its ${cap} USD for today (TENANT_MAX_COST_USD_PER_DAY)`, type: 'BudgetExhausted', nonRetryable: true });
    }
    const ctx = Context.current();
    const price = priceOf(input.model);
    // Online, paged-out spans are summarised by the agent's own model (the scripted model is offline),
    // under the same hard budget as the step: a summary the budget cannot cover is written extractively.
    const summariser: Summariser | undefined = provider.name === 'scripted' ? undefined : async (text, maxTokens) => {
      const messages = [
        { role: 'system' as const, content: 'Summarise this excerpt of an agent’s earlier context. Keep every name, date, number, decision and open question. Be brief.' },
        { role: 'user' as const, content: text },
      ];
      const plan = limited ? planCall(input.budget, await spentNow(), { promptTokens: countChatTokens(messages), maxCompletionTokens: maxTokens, price, promptMargin: await marginP }) : null;
      if (plan && !plan.ok) throw new Error('the budget cannot cover a model-written summary');
      const cap = plan?.ok ? plan.maxCompletionTokens : maxTokens;
      const out = await observedModelCall(
        { provider: provider.name, model: input.model, agentId: input.agentId, step: input.step, maxTokens: cap, purpose: 'summary', messages },
        () => deps.guard(provider, { messages, maxTokens: cap }, countTextTokens(text) + cap, ctx.cancellationSignal),
        (r) => costUsd(price, r.usage.promptTokens, r.usage.completionTokens),
      );
      // A summary is billed at the plain input and output prices (its cache tokens, if any, are not
      // discounted): the step's own accounting counts it the same way.
      return { text: out.text, usage: { promptTokens: out.usage.promptTokens, completionTokens: out.usage.completionTokens } };
    };
    const assemblyStarted = performance.now();
    const context = await buildContext(db, deps.pubsub, {
      agentId: input.agentId,
      agent,
      scope: scopeOf(agent),
      step: input.step,
      model: input.model,
      maxTokens: input.maxTokens,
      tools,
      contextTokens,
      pressure: deps.pressure,
      vectors: deps.vectors,
      summariser,
      billing: { tenant: agent.tenant, branch: agent.branch },
      fence,
    }, gathered);
    kernelMetrics.assembly((performance.now() - assemblyStarted) / 1000);
    const { messages, promptTokens } = context;
    const margin = await marginP;

    // The budget is checked against this exact prompt before the call that would exceed it.
    const summaryUsage = context.metrics.summaryUsage;
    const summarySpend: Spend = { ...summaryUsage, costUsd: costUsd(price, summaryUsage.promptTokens, summaryUsage.completionTokens) };
    // Summaries of this step are already in the ledger (read again when one was billed while the first
    // read was in flight); without it (older workflows), add them.
    const summarised = summaryUsage.promptTokens + summaryUsage.completionTokens > 0;
    const spentSoFar = input.borrowed ? await (summarised ? spentNow() : spentBefore) : addSpend(input.spent, summarySpend);
    // The completion is capped to what the budget leaves, the prompt reserved at the model's learned margin.
    const verdict = planCall(input.budget, spentSoFar, { promptTokens, maxCompletionTokens: input.maxTokens, price, promptMargin: margin });
    if (!verdict.ok) {
      throw ApplicationFailure.create({
        message: `budget exhausted: step ${input.step} could spend ${verdict.wouldSpend} ${verdict.limit === 'cost' ? 'USD' : 'tokens'}, the limit is ${verdict.allowed}`,
        type: 'BudgetExhausted',
        nonRetryable: true,
        details: [verdict],
      });
    }

    // Under a tenant's daily cap, the call's most it can cost is reserved before it is made (and
    // reconciled by its bill), so the tenant's concurrent calls see each other against the cap.
    const replyKey = { agentId: input.agentId, branch: agent.branch, step: input.step, part: 'reply' as const };
    if (cap > 0) {
      const estimateUsd = costUsd(price, verdict.reservedPromptTokens, verdict.maxCompletionTokens);
      const reserved = await reserveSpend(db, { ...replyKey, tenant: agent.tenant, model: input.model, estimateUsd, fence }, cap, utcDayStart(new Date()));
      if (!reserved.ok) throw ApplicationFailure.create({ message: `budget exhausted: tenant ${agent.tenant} has spent or reserved ${reserved.spent.toFixed(4)} of its ${cap} USD for today (TENANT_MAX_COST_USD_PER_DAY)`, type: 'BudgetExhausted', nonRetryable: true });
    }
    const startedWithClaim = start.agent !== undefined && !input.gpuLease;
    const stream = tokenStreamer(deps, input.agentId, input.step, fence, startedWithClaim ? undefined : { agentId: input.agentId, step: input.step, kind: 'step.started', data: { ...startedData, ...(devices.length ? { devices } : {}) } });
    const beat = setInterval(() => ctx.heartbeat(), 1_000);
    let response;
    try {
      response = await observedModelCall(
        { provider: provider.name, model: input.model, agentId: input.agentId, step: input.step, maxTokens: verdict.maxCompletionTokens, purpose: 'reply', messages },
        () => deps.guard(provider, { messages, maxTokens: verdict.maxCompletionTokens, tools, onToken: stream.onToken, step: input.step, ...(devices.length ? { devices } : {}) }, verdict.reservedPromptTokens + verdict.maxCompletionTokens, ctx.cancellationSignal),
        (r) => callCostUsd(input.model, r.usage),
      );
    } catch (err) {
      await stream.close().catch(() => undefined);
      if (cap > 0) await releaseReservation(db, replyKey, fence).catch(() => undefined);
      if (err instanceof ProviderError) {
        throw ApplicationFailure.create({ message: err.message, type: `ProviderError${err.status}`, nonRetryable: !err.retryable, nextRetryDelay: err.retryAfterMs, cause: err });
      }
      throw err;
    } finally {
      clearInterval(beat);
    }
    // The last tokens go out with the step's commit (or, on the slow path, just before it).
    const tail = await stream.drain();
    // The step pays for its reply and for any summary written while assembling its context.
    // Priced from the provider's final usage, each kind of token at its own price (streamed calls too).
    const replyUsage: Spend & TokenUsage = { ...response.usage, costUsd: callCostUsd(input.model, response.usage) };
    const usage = addSpend(replyUsage, summarySpend);
    // What the provider's count teaches about this model's prompts, recorded beside the commit.
    const calibrated = response.usageSource === 'provider' ? recordPromptRatio(db, input.model, promptTokens, response.usage.promptTokens) : Promise.resolve();
    calibrated.catch(() => undefined);
    // The bill is the provider's figure; if it overshoots the budget (a prompt it counted as larger than
    // our reservation), the overshoot is recorded and the agent stops before anything else happens.
    const over = overshoot(input.budget, addSpend(spentSoFar, replyUsage));
    const overBudget = over.tokens > 0 || over.costUsd > 0 ? over : undefined;
    const meta: ReplyMeta = { runId, usage, ...(overBudget ? { overBudget } : {}), ...(verdict.capped ? { completionCap: verdict.maxCompletionTokens } : {}), stopReason: response.stopReason, usageSource: response.usageSource, provider: provider.name, toolCalls: response.toolCalls, ...mcpPoliciesOf(response.toolCalls, mcp) };
    // Tool calls travel in the prompt too, so they count in the page's size.
    const replyTokens = countTextTokens(response.text) + response.toolCalls.reduce((n, c) => n + countTextTokens(c.name + JSON.stringify(c.arguments)), 0);
    const replyMeta = { ...meta, replyUsage };
    const stepMetrics = { metrics: context.metrics, fingerprints: context.fingerprints };
    const completed = { stopReason: response.stopReason, usage, toolCalls: response.toolCalls.map((c) => c.name) };
    const own = addSpend(input.usage ?? { promptTokens: agent.promptTokens, completionTokens: agent.completionTokens, costUsd: agent.costUsd }, usage);
    // The reply, its bill and the agent's row commit together, and only while this attempt's fence
    // holds: one statement in the common case. An overshoot (audited), a fenced attempt (billed as
    // discarded) or a reply already there take the transaction below, which sorts out each.
    const fast = overBudget
      ? 'slow'
      : await commitStep(db, { agentId: input.agentId, step: input.step, fence, branch: agent.branch, tenant: agent.tenant, model: input.model, body: response.text, tokens: replyTokens, meta: replyMeta, stepMetrics, bill: replyUsage, own, event: completed, tokenText: tail, window: context.window });
    await calibrated;
    // Written as sent: the result is built here, nothing is read back.
    const reply: PageRef = { id: pageId(input.agentId, input.step, 'reply'), kind: 'message', role: 'assistant', tokens: replyTokens, step: input.step };
    if (fast === 'written') return { ...resultOf(reply, meta), ...(claim.rewound ? { rewound: claim.rewound } : {}) };
    // `conflict`: an earlier attempt committed this reply with its events (a retry of an attempt Temporal
    // had given up on, e.g. one held by a database lock): they are not written twice.
    const firstWrite = fast !== 'conflict';
    if (tail && firstWrite) await emitFencedEvent(db, { agentId: input.agentId, step: input.step, kind: 'token', data: { text: tail } }, fence);
    const row = await db.transaction(async (tx) => {
      const refusal = await fenceCheck(tx, input.agentId, fence);
      if (refusal) {
        await bill(tx, { agentId: input.agentId, branch: agent.branch, step: input.step, part: discardedPart('reply', refusal, fence), tenant: agent.tenant, model: input.model, ...replyUsage });
        await releaseReservation(tx, replyKey, fence);
        return refusal;
      }
      const written = await writePage(tx, {
        agentId: input.agentId,
        step: input.step,
        purpose: 'reply',
        kind: 'message',
        role: 'assistant',
        body: response.text,
        tokens: replyTokens,
        meta: replyMeta,
        stepMetrics,
      });
      // The ledger bills the reply alone; summaries of this step were billed when they were written.
      const reply = (written.meta as { replyUsage?: Spend }).replyUsage ?? replyUsage;
      await bill(tx, { agentId: input.agentId, branch: agent.branch, step: input.step, part: 'reply', tenant: agent.tenant, model: input.model, ...reply });
      await tx
        .update(agents)
        .set({ status: 'running', step: input.step, hold: null, holdDetail: null, pendingApproval: null, promptTokens: own.promptTokens, completionTokens: own.completionTokens, costUsd: own.costUsd, updatedAt: new Date() })
        .where(eq(agents.id, input.agentId));
      if (firstWrite) await tx.insert(agentEvents).values({ agentId: input.agentId, step: input.step, kind: 'step.completed', data: completed });
      if (overBudget) {
        await tx.insert(agentEvents).values({ agentId: input.agentId, step: input.step, kind: 'budget.overshoot', data: { ...overBudget, budget: input.budget } });
        await appendAuditIn(tx, { actor: 'kernel', action: 'budget.overshoot', subject: input.agentId, data: { step: input.step, ...overBudget, budget: input.budget, billed: replyUsage }, idempotencyKey: `budget.overshoot:${input.agentId}:${agent.branch}:${input.step}` });
      }
      return written;
    });
    if (typeof row === 'string') throw fencedOut(input.agentId, input.step, row);
    await deps.pubsub.notify(EVENTS_CHANNEL, input.agentId);
    return { ...resultFrom(row), ...(claim.rewound ? { rewound: claim.rewound } : {}) };
  };
  /** One step, measured: `aok_agent_steps_total{outcome}` and the step latency histogram. */
  return async function llmStep(input: LlmStepInput): Promise<LlmStepResult> {
    const started = performance.now();
    const queuedMs = Math.max(0, Date.now() - Context.current().info.currentAttemptScheduledTimestampMs);
    try {
      // A database outage is waited out inside the attempt (the step is idempotent), not spent as retries.
      const result = await untilDatabaseAnswers(() => step(input));
      kernelMetrics.step((performance.now() - started) / 1000, 'completed', input.model);
      return { ...result, queuedMs };
    } catch (err) {
      kernelMetrics.step((performance.now() - started) / 1000, err instanceof ApplicationFailure && err.type ? err.type : 'failed', input.model);
      throw err;
    }
  };
}
