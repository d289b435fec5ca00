import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { getAgentRecord, updateAgentRecord } from '../db/agents';
import { findPage, readPages, toPageRef, writePage, type PageRow } from '../db/pages';
import { buildMessages } from '../kernel/agent/prompt';
import type { PageRef, Usage } from '../kernel/agent/state';
import { ProviderError } from '../kernel/llm/errors';
import type { LlmProvider, StopReason } from '../kernel/llm/types';

/** What one agent step needs: ids and limits (bodies are read from Postgres). */
export interface LlmStepInput {
  agentId: string;
  step: number;
  model: string;
  maxTokens: number;
  pageIds: string[];
}

/** What one agent step returns to the workflow: a reference to the reply, never its text. */
export interface LlmStepResult {
  page: PageRef;
  usage: Usage;
  stopReason: StopReason;
}

interface ReplyMeta {
  usage: Usage;
  stopReason: StopReason;
  usageSource: string;
  provider: string;
}

function resultFrom(row: PageRow): LlmStepResult {
  const meta = row.meta as ReplyMeta;
  return { page: toPageRef(row), usage: meta.usage, stopReason: meta.stopReason };
}

/** Builds the `llmStep` activity: one model call per agent step, stored as a reply page, idempotent. */
export function createLlmStep(db: Db, providerFor: (spec: string) => LlmProvider) {
  return async function llmStep(input: LlmStepInput): Promise<LlmStepResult> {
    // A retry after the reply was stored returns it: the model is never billed twice for a step.
    const done = await findPage(db, input.agentId, input.step, 'reply');
    if (done) return resultFrom(done);

    const agent = await getAgentRecord(db, input.agentId);
    if (!agent) throw ApplicationFailure.nonRetryable(`agent ${input.agentId} is not in the database`, 'AgentNotFound');
    const pages = await readPages(db, input.pageIds);
    const messages = buildMessages(agent, pages.map((p) => ({ ...toPageRef(p), body: p.body })));

    let provider: LlmProvider;
    try {
      provider = providerFor(input.model);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidModel');
    }
    const ctx = Context.current();
    let response;
    try {
      response = await provider.complete({ messages, maxTokens: input.maxTokens }, ctx.cancellationSignal);
    } catch (err) {
      if (err instanceof ProviderError) {
        throw ApplicationFailure.create({
          message: err.message,
          type: `ProviderError${err.status}`,
          nonRetryable: !err.retryable,
          nextRetryDelay: err.retryAfterMs,
          cause: err,
        });
      }
      throw err;
    }
    const meta: ReplyMeta = { usage: response.usage, stopReason: response.stopReason, usageSource: response.usageSource, provider: provider.name };
    const row = await writePage(db, {
      agentId: input.agentId,
      step: input.step,
      purpose: 'reply',
      kind: 'message',
      role: 'assistant',
      body: response.text,
      meta: { ...meta },
    });
    await updateAgentRecord(db, input.agentId, { status: 'running', step: input.step });
    return resultFrom(row);
  };
}
