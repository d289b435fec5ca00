import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { createAgentRecord } from '../db/agents';
import { openDatabase, type Database } from '../db/client';
import { agentEvents, agents, contextPages, usageLedger } from '../db/schema';
import { closeAgentRecord } from '../db/agent-close';
import { claimAgent } from '../db/fence';
import { spawnAgentSchema } from '../kernel/agent/spawn';
import type { LlmProvider, LlmRequest } from '../kernel/llm/types';
import { createLlmStep, type LlmStepResult } from './agent-step';
import { createProviderGuard } from './llm/guard';
import { builtinTools } from './tools/builtin';
import { ZERO_SPEND } from '../kernel/agent/state';

const UNLIMITED = { maxTotalTokens: null, maxCostUsd: null };
import { ScriptedModel } from './llm/scripted';

// Opening a database runs every migration: bun's 5 s default is too short for the hooks.
setDefaultTimeout(120_000);

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
    const retry = (await env.run(step, input)) as LlmStepResult;
    // The same result, but for how long each attempt's task waited in its queue (the attempt's own).
    expect({ ...retry, queuedMs: 0 }).toEqual({ ...first, queuedMs: 0 });
    expect(typeof retry.queuedMs).toBe('number');
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

describe('fenced writes', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ pgliteDir: 'memory://' });
  });
  afterAll(() => database.close());

  /** A provider that lets something happen to the agent while the model "thinks", then answers with a usage bill. */
  const meanwhile = (act: () => Promise<void>): LlmProvider => ({
    name: 'meanwhile',
    async complete() {
      await act();
      return { text: 'a late answer', toolCalls: [], stopReason: 'end_turn', usage: { promptTokens: 120, completionTokens: 30 }, usageSource: 'provider' };
    },
  });

  async function agent(id: string) {
    const spec = spawnAgentSchema.parse({ name: id, role: 'r', goal: 'g', input: 'the input' });
    await createAgentRecord(database.db, id, { ...spec, model: 'openai:fake' });
  }

  const run = (provider: LlmProvider, agentId: string) =>
    new MockActivityEnvironment().run(
      createLlmStep({ db: database.db, pubsub: database.pubsub, providerFor: () => provider, tools: builtinTools(), guard: createProviderGuard(), pressure: { warn: 0.7, flush: 1 } }),
      { agentId, step: 1, model: 'openai:fake', maxTokens: 64, budget: UNLIMITED, spent: ZERO_SPEND },
    );

  /** Waits until the step's `step.started` is stored (with the step's claim, before the model call). */
  async function startedSeen(agentId: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const rows = await database.db.select().from(agentEvents).where(eq(agentEvents.agentId, agentId));
      if (rows.some((e) => e.kind === 'step.started')) return;
      await Bun.sleep(5);
    }
    throw new Error('step.started was never written');
  }

  test('a step whose agent is killed while the model answers writes no reply, no event, no status — only the bill, once, marked killed', async () => {
    await agent('killed-1');
    const err = await run(meanwhile(() => startedSeen('killed-1').then(() => closeAgentRecord(database.db, { agentId: 'killed-1', runId: 'dev', status: 'terminated', exitReason: 'killed', error: 'killed', closedBy: 'kernel' })).then(() => undefined)), 'killed-1').catch((e: unknown) => e);
    expect((err as { type?: string }).type).toBe('AgentFinished');
    const pages = await database.db.select().from(contextPages).where(eq(contextPages.agentId, 'killed-1'));
    expect(pages.filter((p) => p.purpose === 'reply')).toEqual([]);
    const ledger = await database.db.select().from(usageLedger).where(eq(usageLedger.agentId, 'killed-1'));
    expect(ledger.map((l) => ({ part: l.part, promptTokens: l.promptTokens, completionTokens: l.completionTokens }))).toEqual([{ part: 'reply:killed', promptTokens: 120, completionTokens: 30 }]);
    const [row] = await database.db.select().from(agents).where(eq(agents.id, 'killed-1'));
    expect(row).toMatchObject({ status: 'terminated', step: 0 });
    const events = await database.db.select().from(agentEvents).where(eq(agentEvents.agentId, 'killed-1'));
    expect(events.map((e) => e.kind)).toEqual(['step.started', 'agent.finished']);
  });

  test('an attempt that a newer attempt superseded writes nothing of its own', async () => {
    await agent('superseded-1');
    const err = await run(meanwhile(() => claimAgent(database.db, 'superseded-1', 'dev').then(() => undefined)), 'superseded-1').catch((e: unknown) => e);
    expect((err as { type?: string }).type).toBe('StepSuperseded');
    const pages = await database.db.select().from(contextPages).where(eq(contextPages.agentId, 'superseded-1'));
    expect(pages.filter((p) => p.purpose === 'reply')).toEqual([]);
    const ledger = await database.db.select().from(usageLedger).where(eq(usageLedger.agentId, 'superseded-1'));
    expect(ledger.map((l) => l.part)).toEqual([expect.stringMatching(/^reply:superseded#\d+$/)]);
  });

  test('a terminal agent is not claimed: the model is never called', async () => {
    await agent('done-1');
    await closeAgentRecord(database.db, { agentId: 'done-1', runId: '00000000-0000-0000-0000-000000000000', status: 'completed', exitReason: 'final_answer', error: null, closedBy: 'kernel' });
    let called = false;
    const err = await run(meanwhile(async () => {
      called = true;
    }), 'done-1').catch((e: unknown) => e);
    expect((err as { type?: string }).type).toBe('AgentFinished');
    expect(called).toBe(false);
  });
});
