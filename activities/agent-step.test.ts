import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { createAgentRecord } from '../db/agents';
import { openDatabase, type Database } from '../db/client';
import { contextPages } from '../db/schema';
import { spawnAgentSchema } from '../kernel/agent/spawn';
import type { LlmProvider, LlmRequest } from '../kernel/llm/types';
import { createLlmStep, type LlmStepResult } from './agent-step';
import { createProviderGuard } from './llm/guard';
import { builtinTools } from './tools/builtin';
import { ZERO_SPEND } from '../kernel/agent/state';

const UNLIMITED = { maxTotalTokens: null, maxCostUsd: null };
import { ScriptedModel } from './llm/scripted';

/** A scripted model that counts its calls (a test double around the real scripted model). */
class CountingModel implements LlmProvider {
  readonly name = 'counting';
  calls = 0;
  private readonly inner = new ScriptedModel(3);
  complete(request: LlmRequest) {
    this.calls++;
    return this.inner.complete(request);
  }
}

describe('llmStep activity', () => {
  let database: Database;
  const model = new CountingModel();

  beforeAll(async () => {
    database = await openDatabase({ pgliteDir: 'memory://' });
    const spec = spawnAgentSchema.parse({ name: 'idem', role: 'r', goal: 'g', input: 'the input' });
    await createAgentRecord(database.db, 'idem-1', { ...spec, model: 'scripted:3' });
  });
  afterAll(() => database.close());

  test('a retried step stores one reply and calls the model once', async () => {
    const step = createLlmStep({ db: database.db, pubsub: database.pubsub, providerFor: () => model, tools: builtinTools(), guard: createProviderGuard(), pressure: { warn: 0.7, flush: 1 } });
    const env = new MockActivityEnvironment();
    const input = { agentId: 'idem-1', step: 1, model: 'scripted:3', maxTokens: 64, budget: UNLIMITED, spent: ZERO_SPEND };
    const first = (await env.run(step, input)) as LlmStepResult;
    const retry = await env.run(step, input);
    expect(retry).toEqual(first);
    expect(model.calls).toBe(1);
    const replies = await database.db.select().from(contextPages).where(eq(contextPages.agentId, 'idem-1'));
    expect(replies.filter((p) => p.purpose === 'reply')).toHaveLength(1);
    expect(first.stopReason).toBe('continue');
    expect(first.page).toMatchObject({ id: 'idem-1.s1.reply', role: 'assistant', step: 1 });
  });

  test('an unknown agent fails without retries', async () => {
    const step = createLlmStep({ db: database.db, pubsub: database.pubsub, providerFor: () => model, tools: builtinTools(), guard: createProviderGuard(), pressure: { warn: 0.7, flush: 1 } });
    const err = await new MockActivityEnvironment().run(step, { agentId: 'ghost', step: 1, model: 'scripted', maxTokens: 8, budget: UNLIMITED, spent: ZERO_SPEND }).catch((e: unknown) => e);
    expect((err as { nonRetryable?: boolean }).nonRetryable).toBe(true);
    expect((err as Error).message).toContain('ghost');
  });

  test('a step that would exceed the budget fails as BudgetExhausted before calling the model', async () => {
    const calls = model.calls;
    const step = createLlmStep({ db: database.db, pubsub: database.pubsub, providerFor: () => model, tools: builtinTools(), guard: createProviderGuard(), pressure: { warn: 0.7, flush: 1 } });
    const err = await new MockActivityEnvironment()
      .run(step, { agentId: 'idem-1', step: 2, model: 'scripted:3', maxTokens: 64, budget: { maxTotalTokens: 100, maxCostUsd: null }, spent: { promptTokens: 0, completionTokens: 40, costUsd: 0 } })
      .catch((e: unknown) => e);
    expect((err as { type?: string }).type).toBe('BudgetExhausted');
    expect((err as { nonRetryable?: boolean }).nonRetryable).toBe(true);
    expect(model.calls).toBe(calls);
  });
});
