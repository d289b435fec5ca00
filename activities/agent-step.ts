import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { getAgentRecord, updateAgentRecord } from '../db/agents';
import { emitEvent } from '../db/events';
import type { PubSub } from '../db/notify';
import { findPage, toPageRef, writePage, type PageRow } from '../db/pages';
import { scopeOf } from '../db/scope';
import { recordCheckpoint, type BoundaryState } from '../db/checkpoints';
import type { VectorRetrieval } from '../db/retrieval';
import { buildContext, type PressureThresholds, type Summariser } from './context/build-context';
import { countTextTokens } from '../kernel/llm/tokens';
import { bill } from '../db/ledger';
import { addSpend, type PageRef } from '../kernel/agent/state';
import { checkBudget, type Budget, type Spend } from '../kernel/cost/budget';
import { costUsd, priceOf } from '../kernel/cost/prices';
import { ProviderError } from '../kernel/llm/errors';
import type { LlmProvider, StopReason, ToolCall } from '../kernel/llm/types';
import type { ProviderGuard } from './llm/guard';
import type { ToolRegistry } from './tools/registry';
import { renewGpuLease } from './placement';

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
}

/** What one agent step returns to the workflow: a reference to the reply, never its text. */
export interface LlmStepResult {
  page: PageRef;
  usage: Spend;
  stopReason: StopReason;
  /** The calls the model asked for, by id and tool (their arguments stay in the reply page). */
  toolCalls: Array<{ id: string; name: string }>;
}

interface ReplyMeta {
  usage: Spend;
  stopReason: StopReason;
  usageSource: string;
  provider: string;
  toolCalls: ToolCall[];
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
}

function resultFrom(row: PageRow): LlmStepResult {
  const meta = row.meta as ReplyMeta;
  return { page: toPageRef(row), usage: meta.usage, stopReason: meta.stopReason, toolCalls: meta.toolCalls.map((c) => ({ id: c.id, name: c.name })) };
}

/** Streams token events in batches (every 100 ms) so a long answer costs a few rows, not thousands. */
function tokenStreamer(deps: LlmStepDeps, agentId: string, step: number) {
  let buffer = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain = Promise.resolve();
  const flush = () => {
    timer = undefined;
    if (!buffer) return;
    const text = buffer;
    buffer = '';
    chain = chain.then(() => emitEvent(deps.db, deps.pubsub, { agentId, step, kind: 'token', data: { text } })).then(() => undefined);
  };
  return {
    onToken(text: string) {
      buffer += text;
      timer ??= setTimeout(flush, 100);
    },
    async close() {
      if (timer) clearTimeout(timer);
      flush();
      await chain;
    },
  };
}

/** Builds the `llmStep` activity: one model call per agent step, stored as a reply page, idempotent. */
export function createLlmStep(deps: LlmStepDeps) {
  const { db } = deps;
  return async function llmStep(input: LlmStepInput): Promise<LlmStepResult> {
    if (input.boundary) {
      const runId = Context.current().info.workflowExecution?.runId ?? "unknown";
      await recordCheckpoint(db, { agentId: input.agentId, runId, step: input.step - 1, historyEventId: input.boundary.historyEventId, state: input.boundary.state });
    }
    if (input.gpuLease) await renewGpuLease(db, input.agentId, input.gpuLease, deps.gpuLeaseMs ?? 120_000);
    // A retry after the reply was stored returns it: the model is never billed twice for a step.
    const done = await findPage(db, input.agentId, input.step, 'reply');
    if (done) return resultFrom(done);

    const agent = await getAgentRecord(db, input.agentId);
    if (!agent) throw ApplicationFailure.nonRetryable(`agent ${input.agentId} is not in the database`, 'AgentNotFound');
    const definition = agent.definition as { tools?: string[]; constraints?: { contextTokens?: number } };
    const allowed = (definition.tools ?? []).filter((t) => deps.tools.get(t));
    const tools = deps.tools.schemas(allowed);
    let provider: LlmProvider;
    try {
      provider = deps.providerFor(input.model);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidModel');
    }
    const ctx = Context.current();
    // Online, paged-out spans are summarised by the agent's own model; the scripted model is offline.
    const summariser: Summariser | undefined = provider.name === 'scripted' ? undefined : async (text, maxTokens) => {
      const out = await deps.guard(provider, {
        messages: [
          { role: 'system', content: 'Summarise this excerpt of an agent’s earlier context. Keep every name, date, number, decision and open question. Be brief.' },
          { role: 'user', content: text },
        ],
        maxTokens,
      }, countTextTokens(text) + maxTokens, ctx.cancellationSignal);
      return { text: out.text, usage: out.usage };
    };
    const context = await buildContext(db, deps.pubsub, {
      agentId: input.agentId,
      agent,
      scope: scopeOf(agent),
      step: input.step,
      model: input.model,
      maxTokens: input.maxTokens,
      tools,
      contextTokens: definition.constraints?.contextTokens,
      pressure: deps.pressure,
      vectors: deps.vectors,
      summariser,
      billing: { tenant: agent.tenant, branch: agent.branch },
    });
    const { messages, promptTokens } = context;

    // The budget is checked against this exact prompt before the call that would exceed it.
    const price = priceOf(input.model);
    const summaryUsage = context.metrics.summaryUsage;
    const summarySpend: Spend = { ...summaryUsage, costUsd: costUsd(price, summaryUsage.promptTokens, summaryUsage.completionTokens) };
    const spentSoFar = addSpend(input.spent, summarySpend);
    const verdict = checkBudget(input.budget, spentSoFar, { promptTokens, maxCompletionTokens: input.maxTokens, price });
    if (!verdict.ok) {
      throw ApplicationFailure.create({
        message: `budget exhausted: step ${input.step} could spend ${verdict.wouldSpend} ${verdict.limit === 'cost' ? 'USD' : 'tokens'}, the limit is ${verdict.allowed}`,
        type: 'BudgetExhausted',
        nonRetryable: true,
        details: [verdict],
      });
    }

    await emitEvent(db, deps.pubsub, { agentId: input.agentId, step: input.step, kind: 'step.started', data: { model: input.model, attempt: Context.current().info.attempt, node: deps.nodeId ?? null } });
    const stream = tokenStreamer(deps, input.agentId, input.step);
    const beat = setInterval(() => ctx.heartbeat(), 1_000);
    let response;
    try {
      response = await deps.guard(provider, { messages, maxTokens: input.maxTokens, tools, onToken: stream.onToken, step: input.step }, promptTokens + input.maxTokens, ctx.cancellationSignal);
    } catch (err) {
      if (err instanceof ProviderError) {
        throw ApplicationFailure.create({ message: err.message, type: `ProviderError${err.status}`, nonRetryable: !err.retryable, nextRetryDelay: err.retryAfterMs, cause: err });
      }
      throw err;
    } finally {
      clearInterval(beat);
      await stream.close();
    }
    // The step pays for its reply and for any summary written while assembling its context.
    const replyUsage: Spend = { ...response.usage, costUsd: costUsd(price, response.usage.promptTokens, response.usage.completionTokens) };
    const usage = addSpend(replyUsage, summarySpend);
    const meta: ReplyMeta = { usage, stopReason: response.stopReason, usageSource: response.usageSource, provider: provider.name, toolCalls: response.toolCalls };
    // The reply and its bill commit together: a crash between them would leave a stored reply that a
    // retry returns as done, with its step never billed.
    const row = await db.transaction(async (tx) => {
      const written = await writePage(tx, {
        agentId: input.agentId,
        step: input.step,
        purpose: 'reply',
        kind: 'message',
        role: 'assistant',
        body: response.text,
        // Tool calls travel in the prompt too, so they count in the page's size.
        tokens: countTextTokens(response.text) + response.toolCalls.reduce((n, c) => n + countTextTokens(c.name + JSON.stringify(c.arguments)), 0),
        meta: { ...meta, replyUsage, metrics: context.metrics, fingerprints: context.fingerprints },
      });
      // The ledger bills the reply alone; summaries of this step were billed when they were written.
      const reply = (written.meta as { replyUsage?: Spend }).replyUsage ?? replyUsage;
      await bill(tx, { agentId: input.agentId, branch: agent.branch, step: input.step, part: 'reply', tenant: agent.tenant, model: input.model, ...reply });
      return written;
    });
    const stored = row.meta as ReplyMeta;
    await updateAgentRecord(db, input.agentId, { status: 'running', step: input.step });
    await emitEvent(db, deps.pubsub, { agentId: input.agentId, step: input.step, kind: 'step.completed', data: { stopReason: stored.stopReason, usage: stored.usage, toolCalls: stored.toolCalls.map((c) => c.name) } });
    return resultFrom(row);
  };
}
