import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { createAgentRecord } from '../db/agents';
import { agentEvents, agents, auditLog, contextPages } from '../db/schema';
import { verifyAuditChain } from '../db/audit';
import { createFinishAgent, type FinishAgentInput } from './agent-finish';
import { candidatePages } from '../db/retrieval';
import { readPromptPages } from '../db/pages';
import { scopeOf } from '../db/scope';
import { openDatabase, type Database } from '../db/client';
import { spawnAgentSchema } from '../kernel/agent/spawn';
import { ZERO_SPEND } from '../kernel/agent/state';
import { createTestDatabase } from '../test/support/postgres';
import { createLlmStep, type LlmStepResult } from './agent-step';
import { ScriptedModel } from './llm/scripted';
import { createProviderGuard } from './llm/guard';
import { builtinTools } from './tools/builtin';

// Opening a database runs every migration: bun's 5 s default is too short for the hooks.
setDefaultTimeout(120_000);

/** A limited budget: the step also needs the model's prompt calibration and the agent's ledger totals. */
const BUDGET = { maxTotalTokens: 1_000_000, maxCostUsd: null };

/** A step's Postgres work, counted on a real Postgres: the statements each step sends. */
describe('a step’s statements (Postgres)', () => {
  let fresh: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: Database;
  let sent: string[] = [];

  beforeAll(async () => {
    fresh = await createTestDatabase();
    database = await openDatabase({ url: fresh.url, poolSize: 4, onQuery: (q) => sent.push(q) });
    const spec = spawnAgentSchema.parse({ name: 'reads', role: 'r', goal: 'g', input: 'the input' });
    await createAgentRecord(database.db, 'reads-1', { ...spec, model: 'scripted:12' });
  });
  afterAll(async () => {
    await database.close();
    await fresh.drop();
  });

  test('a step is one statement to start (with step.started), one to read its context, and one to commit; the context is read once', async () => {
    const step = createLlmStep({ db: database.db, pubsub: database.pubsub, providerFor: () => new ScriptedModel(12), tools: builtinTools(), guard: createProviderGuard(), pressure: { warn: 0.7, flush: 1 } });
    const perStep: string[][] = [];
    for (let n = 1; n <= 3; n++) {
      sent = [];
      await new MockActivityEnvironment().run(step, { agentId: 'reads-1', step: n, model: 'scripted:12', maxTokens: 64, budget: BUDGET, spent: ZERO_SPEND, borrowed: ZERO_SPEND });
      // postgres.js asks the catalog for array types once per new connection: the driver's, not the step's.
      perStep.push(sent.map((q) => q.replace(/\s+/g, ' ').trim().slice(0, 40)).filter((q) => !q.includes('pg_catalog')));
    }
    for (const statements of perStep) {
      // begin (with the ledger totals, the model's calibration and step.started), the context (page stats, standing and newest pages; beside the begin), commit
      expect(statements.filter((q) => q.startsWith('with prior as'))).toHaveLength(1);
      expect(statements.filter((q) => q.startsWith('select (select coalesce(sum(tokens'))).toHaveLength(1);
      expect(statements.filter((q) => q.startsWith('with u as'))).toHaveLength(1);
      expect(statements.length).toBe(3);
    }
    // Access statistics: a page in every window is refreshed once per 8 steps, not every step.
    for (let n = 4; n <= 9; n++) await new MockActivityEnvironment().run(step, { agentId: 'reads-1', step: n, model: 'scripted:12', maxTokens: 64, budget: BUDGET, spent: ZERO_SPEND, borrowed: ZERO_SPEND });
    const [input] = await database.db.select().from(contextPages).where(and(eq(contextPages.agentId, 'reads-1'), eq(contextPages.step, 0)));
    expect(input).toMatchObject({ lastAccessStep: 8, accessCount: 1 });
  });

  test('finishing an agent is eight statements: its row with the answer’s head, the checkpoint, and one transaction (close, audit)', async () => {
    const spec = spawnAgentSchema.parse({ name: 'finish', role: 'r', goal: 'g', input: 'the input' });
    await createAgentRecord(database.db, 'finish-1', { ...spec, model: 'scripted:1' });
    const step = createLlmStep({ db: database.db, pubsub: database.pubsub, providerFor: () => new ScriptedModel(1), tools: builtinTools(), guard: createProviderGuard(), pressure: { warn: 0.7, flush: 1 } });
    const reply = (await new MockActivityEnvironment().run(step, { agentId: 'finish-1', step: 1, model: 'scripted:1', maxTokens: 64, budget: BUDGET, spent: ZERO_SPEND, borrowed: ZERO_SPEND })) as LlmStepResult;
    const [row] = await database.db.select().from(agents).where(eq(agents.id, 'finish-1'));
    const usage = { promptTokens: 10, completionTokens: 5, costUsd: 0 };
    sent = [];
    const input: FinishAgentInput = {
      agentId: 'finish-1', status: 'completed', exitReason: 'final_answer', steps: 1, resultPageId: reply.page.id, usage, runId: row!.runId!, error: null,
      boundary: { historyEventId: 12, state: { status: 'completed', priority: 5, usage, budget: BUDGET } },
    };
    const finished = await new MockActivityEnvironment().run(createFinishAgent(database.db), input);
    expect(finished).toEqual({ answer: expect.stringContaining('Final answer (step 1/1)') });
    // select (row + answer), insert checkpoint, begin, close (update, leases, reservations, event, NOTIFY), audit lock, audit read, audit insert, commit
    expect(sent.filter((q) => !q.includes('pg_catalog'))).toHaveLength(8);
    const [closed] = await database.db.select().from(agents).where(eq(agents.id, 'finish-1'));
    expect(closed).toMatchObject({ status: 'completed', exitReason: 'final_answer', step: 1, promptTokens: 10 });
    const events = await database.db.select().from(agentEvents).where(eq(agentEvents.agentId, 'finish-1'));
    expect(events.map((e) => e.kind)).toEqual(['step.started', 'token', 'step.completed', 'agent.finished']);
    expect(await verifyAuditChain(database.db)).toBeNull();
    // Finishing again (a retried activity) changes nothing and appends nothing.
    const audits = (await database.db.select().from(auditLog)).length;
    await new MockActivityEnvironment().run(createFinishAgent(database.db), { ...input, boundary: undefined });
    expect((await database.db.select().from(auditLog)).length).toBe(audits);
    expect((await database.db.select().from(agentEvents).where(eq(agentEvents.agentId, 'finish-1'))).length).toBe(4);
  });

  test('the prompt reads a page’s tool-call fields, never the rest of its meta; a reply’s metrics (which grow with the window) are stored apart', async () => {
    const spec = spawnAgentSchema.parse({ name: 'meta', role: 'r', goal: 'g', input: 'CALL echo {"text": "hi", "n": null}' });
    await createAgentRecord(database.db, 'meta-1', { ...spec, model: 'scripted:3' });
    const step = createLlmStep({ db: database.db, pubsub: database.pubsub, providerFor: () => new ScriptedModel(3), tools: builtinTools(), guard: createProviderGuard(), pressure: { warn: 0.7, flush: 1 } });
    const first = (await new MockActivityEnvironment().run(step, { agentId: 'meta-1', step: 1, model: 'scripted:3', maxTokens: 64, budget: BUDGET, spent: ZERO_SPEND, borrowed: ZERO_SPEND })) as LlmStepResult;
    expect(first.toolCalls.map((c) => c.name)).toEqual(['echo']);
    const [agent] = await database.db.select().from(agents).where(eq(agents.id, 'meta-1'));
    const [reply] = await database.db.select().from(contextPages).where(eq(contextPages.id, first.page.id));
    // The step's diagnostics live beside the meta, not in it.
    expect(Object.keys(reply!.meta as object)).toEqual(expect.arrayContaining(['toolCalls', 'usage']));
    expect(reply!.meta).not.toHaveProperty('metrics');
    expect(Object.keys(reply!.stepMetrics as object).sort()).toEqual(['fingerprints', 'metrics']);
    const found = await candidatePages(database.db, scopeOf(agent!), '', 100_000);
    const read = await readPromptPages(database.db, [first.page.id]);
    for (const meta of [found.loaded.get(first.page.id)!.meta, read[0]!.meta]) {
      // Only the fields a prompt renders, as stored (a null argument kept).
      expect(meta).toEqual({ toolCalls: [{ id: 'call_1_1', name: 'echo', arguments: { text: 'hi', n: null } }] });
    }
  });
});
