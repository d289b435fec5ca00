import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq, sql } from 'drizzle-orm';
import { getAgentRecord } from '../db/agents';
import { ledgerTotals } from '../db/ledger';
import { pageMetas } from '../db/retrieval';
import { scopeOf } from '../db/scope';
import { auditLog, contextPages, usageLedger } from '../db/schema';
import type { Stack } from '../infra/stack';
import { agentClient } from './support/agent-client';
import { startFakeLlm } from './support/fake-llm';
import { startTestStack } from './support/stack';
import { rootFetch } from './support/keys';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const fake = startFakeLlm();
let stack: Stack;
let agents: ReturnType<typeof agentClient>;
beforeAll(async () => {
  stack = await startTestStack({ database: 'postgres', env: { OPENAI_BASE_URL: `${fake.url}/v1` } });
  agents = agentClient(stack);
});
afterAll(async () => {
  await stack?.stop();
  await fake.stop();
});

interface StepMetrics { step: number; window: number; promptTokens: number; pagesOut: number; pageFaults: number; prefixStability: number; pressure: number; summarised: number }
const metricsOf = async (id: string) => ((await (await rootFetch(`${stack.apiUrl}/agents/${id}/metrics`)).json()) as { steps: StepMetrics[] }).steps;

describe('paging', () => {
  test('a long agent in a small window never exceeds it, pages out, and summarises what it pages out', async () => {
    const a = await agents.spawn({ name: 'pager', model: 'scripted:40', input: 'Keep working on the long task. '.repeat(20), constraints: { maxSteps: 40, contextTokens: 600, maxTokensPerStep: 64 } });
    const done = await agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 40 });
    const steps = await metricsOf(a.id);
    expect(steps).toHaveLength(40);
    // Measured on what the model was sent (the scripted model counts the messages it received, and the
    // ledger bills that count), not on the kernel's own estimate of what it assembled.
    const billed = await stack.db.db.select().from(usageLedger).where(and(eq(usageLedger.agentId, a.id), eq(usageLedger.part, 'reply')));
    expect(billed).toHaveLength(40);
    for (const line of billed) expect(line.promptTokens + 64).toBeLessThanOrEqual(600);
    expect(Math.max(...billed.map((l) => l.promptTokens))).toBeGreaterThan(400);
    expect(steps.at(-1)!.pagesOut).toBeGreaterThan(0);
    expect(steps.some((s) => s.pressure >= 1)).toBe(true);
    const summaries = await stack.db.db.select().from(contextPages).where(and(eq(contextPages.agentId, a.id), eq(contextPages.kind, 'summary')));
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries[0]!.body).toStartWith('Summary of steps');
    const events = await (await rootFetch(`${stack.apiUrl}/agents/${a.id}/events`)).text();
    expect(events).toContain('event: memory.pressure');
  }, 60_000);

  test('the prompt prefix (system, tools, pinned input) is byte-identical across steps', async () => {
    const call = (id: string) => ({ body: { choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'calculator', arguments: '{"expression":"2+2"}' } }] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 50, completion_tokens: 5 } } });
    fake.requests.length = 0;
    fake.enqueue(call('c1'), call('c2'), call('c3'), { body: { choices: [{ index: 0, message: { role: 'assistant', content: 'four' }, finish_reason: 'stop' }], usage: { prompt_tokens: 60, completion_tokens: 1 } } });
    const a = await agents.spawn({ name: 'cacheable', model: 'openai:fake-model', tools: ['calculator'], input: 'What is 2+2? Check it three times.' });
    const done = await agents.settle(a.id);
    expect(done.result).toBe('four');
    const bodies = fake.requests.map((r) => r.body as { messages: unknown[]; tools: unknown[] });
    expect(bodies).toHaveLength(4);
    for (const b of bodies.slice(1)) {
      expect(JSON.stringify(b.tools)).toBe(JSON.stringify(bodies[0]!.tools));
      expect(JSON.stringify(b.messages.slice(0, 2))).toBe(JSON.stringify(bodies[0]!.messages.slice(0, 2)));
      expect(JSON.stringify(b.messages.slice(0, -2))).toBe(JSON.stringify(bodies[bodies.indexOf(b) - 1]!.messages));
    }
    const steps = await metricsOf(a.id);
    expect(steps[0]!.prefixStability).toBe(0);
    for (const s of steps.slice(1)) expect(s.prefixStability).toBeGreaterThan(0.5);
    // A reply written before `step_metrics` existed kept its metrics in its meta: they are still shown.
    await stack.db.db.execute(sql`update context_pages set meta = meta || jsonb_build_object('metrics', step_metrics->'metrics'), step_metrics = null where agent_id = ${a.id} and purpose = 'reply'`);
    expect(await metricsOf(a.id)).toEqual(steps);
  });
});

/**
 * Points the fake provider at a model that checks 12*12 with the calculator for eleven turns and then
 * answers. A chat turn costs 110 tokens (100 + 10), a summary 320 (300 + 20); `charged` adds them up.
 */
function arithmeticModel(): { charged: number } {
  const meter = { charged: 0 };
  let chat = 0;
  fake.respond = (body) => {
    const messages = (body as { messages: Array<{ content: string | null }> }).messages;
    if (messages[0]?.content?.startsWith('Summarise this excerpt')) {
      meter.charged += 320;
      return { body: { choices: [{ index: 0, message: { role: 'assistant', content: 'MODEL SUMMARY: the agent checked arithmetic.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 300, completion_tokens: 20 } } };
    }
    chat += 1;
    meter.charged += 110;
    const done = chat >= 12;
    return {
      body: {
        choices: [{ index: 0, message: done ? { role: 'assistant', content: 'all checked' } : { role: 'assistant', content: 'Let me check the multiplication of twelve by twelve once more, carefully and step by step. '.repeat(2), tool_calls: [{ id: `call_${chat}`, type: 'function', function: { name: 'calculator', arguments: '{"expression":"12*12"}' } }] }, finish_reason: done ? 'stop' : 'tool_calls' }],
        usage: { prompt_tokens: 100, completion_tokens: 10 },
      },
    };
  };
  return meter;
}

/** Spawns an agent on the arithmetic model in a 500-token window, so paging and summaries happen. */
const spawnChecker = (name: string, constraints: Record<string, number> = {}) =>
  agents.spawn({ name, model: 'openai:fake-model', tools: ['calculator'], input: 'Check 12*12 many times.', constraints: { maxSteps: 12, contextTokens: 500, maxTokensPerStep: 64, ...constraints } });

describe('summaries by the agent’s model', () => {
  test('online, paged-out spans are summarised by the agent’s own model and the step pays for it', async () => {
    arithmeticModel();
    try {
      const a = await spawnChecker('summarised');
      const done = await agents.settle(a.id);
      expect(done).toMatchObject({ status: 'completed', result: 'all checked' });
      const summaries = await stack.db.db.select().from(contextPages).where(and(eq(contextPages.agentId, a.id), eq(contextPages.kind, 'summary')));
      expect(summaries.length).toBeGreaterThan(0);
      expect(summaries[0]!.body).toContain('MODEL SUMMARY: the agent checked arithmetic.');
      expect((summaries[0]!.meta as { method: string }).method).toBe('model');
      // 12 chat calls × 100 prompt tokens, plus 300 for each summary.
      expect(done.usage.promptTokens).toBe(12 * 100 + summaries.length * 300);
      // The ledger bills each summary on its own line and each reply on its own, adding up to the same total.
      const ledger = await stack.db.db.select().from(usageLedger).where(eq(usageLedger.agentId, a.id));
      expect(ledger.filter((r) => r.part === 'summary').map((r) => r.step).sort((x, y) => x - y)).toEqual(summaries.map((p) => p.step).sort((x, y) => x - y));
      expect(ledger.filter((r) => r.part === 'reply')).toHaveLength(12);
      expect(ledger.reduce((n, r) => n + r.promptTokens, 0)).toBe(done.usage.promptTokens);
    } finally {
      fake.respond = undefined;
    }
  });
});

describe('billing summaries', () => {
  test('a summary written by a step that then stops at its budget is still billed, once, and the re-run step does not pay for it again', async () => {
    const model = arithmeticModel();
    const ledgerOf = async (id: string) => stack.db.db.select().from(usageLedger).where(eq(usageLedger.agentId, id));
    const total = (rows: Array<{ promptTokens: number; completionTokens: number }>) => rows.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0);
    try {
      // Nine steps of 110 tokens fit; the summary written while assembling step 10 (320 tokens) does not.
      const a = await spawnChecker('budget-summary', { maxTotalTokens: 1_450 });
      const held = await agents.until(a.id, (v) => v.hold === 'budget_exhausted', 'budget stop');
      const stoppedAt = held.step + 1;
      const summary = await stack.db.db.select().from(contextPages).where(and(eq(contextPages.agentId, a.id), eq(contextPages.purpose, `summary:${stoppedAt}`)));
      expect(summary).toHaveLength(1);
      expect((summary[0]!.meta as { method: string }).method).toBe('model');
      // Every token the provider charged is in the ledger, the stopped step's summary included.
      const stopped = await ledgerOf(a.id);
      expect(stopped.filter((r) => r.part === 'summary').map((r) => r.step)).toEqual([stoppedAt]);
      expect(total(stopped)).toBe(model.charged);

      expect((await agents.post(`/agents/${a.id}/budget`, { maxTotalTokens: 100_000 })).status).toBe(200);
      const done = await agents.settle(a.id);
      expect(done).toMatchObject({ status: 'completed', result: 'all checked' });
      const ledger = await ledgerOf(a.id);
      expect(total(ledger)).toBe(model.charged);
      expect(done.usage.promptTokens + done.usage.completionTokens).toBe(model.charged);
      expect(ledger.filter((r) => r.part === 'summary' && r.step === stoppedAt)).toHaveLength(1);
      // Totals count steps by their replies; a summary line is spend, not a step.
      const totals = await ledgerTotals(stack.db.db, eq(usageLedger.agentId, a.id));
      expect(totals.steps).toBe(12);
      expect(totals.spend.promptTokens + totals.spend.completionTokens).toBe(model.charged);
    } finally {
      fake.respond = undefined;
    }
  });
});

describe('recall and long-term memory', () => {
  test('the recall tool pages a memory back in (a page fault) by query', async () => {
    const filler = 'CALL current_time {}\n'.repeat(3);
    const a = await agents.spawn({ name: 'rememberer', model: 'scripted:5:80', tools: ['recall', 'current_time'], input: `${filler}CALL recall {"query":"pelican code"}` });
    const created = await agents.post(`/agents/${a.id}/memories`, { scope: 'long', key: 'code', content: 'The secret code is PELICAN-42.' });
    expect(created.status).toBe(201);
    const done = await agents.settle(a.id);
    expect(done.status).toBe('completed');
    const { toolCalls } = (await (await rootFetch(`${stack.apiUrl}/agents/${a.id}/tool-calls`)).json()) as { toolCalls: Array<{ tool: string; result: string }> };
    const recalled = toolCalls.find((c) => c.tool === 'recall')!;
    expect(recalled.result).toContain('PELICAN-42');
    const steps = await metricsOf(a.id);
    expect(steps.find((s) => s.step === 5)!.pageFaults).toBe(1);
  });

  test('feedback replaces or amends a memory; the old version stays, audited, and is no longer recalled', async () => {
    const a = await agents.spawn({ name: 'corrected', model: 'scripted:1' });
    await agents.settle(a.id);
    const m = (await (await agents.post(`/agents/${a.id}/memories`, { scope: 'entity', key: 'Alice', content: 'Alice lives in Paris.' })).json()) as { id: string };
    const fb = await agents.post(`/memories/${m.id}/feedback`, { mode: 'replace', content: 'Alice lives in Lyon.', reason: 'she moved', actor: 'bob' });
    expect(fb.status).toBe(201);
    const v2 = (await fb.json()) as { id: string; version: number; content: string };
    expect(v2).toMatchObject({ version: 2, content: 'Alice lives in Lyon.' });
    const amended = (await (await agents.post(`/memories/${v2.id}/feedback`, { mode: 'amend', content: 'Near the river.', actor: 'bob' })).json()) as { id: string; content: string };
    expect(amended.content).toBe('Alice lives in Lyon.\n(amended) Near the river.');
    expect((await agents.post(`/memories/${m.id}/feedback`, { mode: 'replace', content: 'x', actor: 'bob' })).status).toBe(409);

    const { memories } = (await (await rootFetch(`${stack.apiUrl}/agents/${a.id}/memories`)).json()) as { memories: Array<{ id: string }> };
    expect(memories.map((x) => x.id)).toEqual([amended.id]);
    const { versions } = (await (await rootFetch(`${stack.apiUrl}/memories/${m.id}/versions`)).json()) as { versions: Array<{ content: string }> };
    expect(versions.map((v) => v.content)).toContain('Alice lives in Paris.');
    const [audit] = await stack.db.db.select().from(auditLog).where(and(eq(auditLog.subject, m.id), eq(auditLog.action, 'memory.corrected')));
    expect(audit!.data).toMatchObject({ beforeSha256: expect.stringMatching(/^[0-9a-f]{64}$/), afterSha256: expect.stringMatching(/^[0-9a-f]{64}$/), reason: 'she moved' });
    expect(JSON.stringify(audit!.data)).not.toContain('Paris'); // the log says it changed, not what it said
    const visible = await pageMetas(stack.db.db, scopeOf((await getAgentRecord(stack.db.db, a.id))!));
    const bodies = await stack.db.db.select({ id: contextPages.id, body: contextPages.body, retired: contextPages.retired }).from(contextPages).where(eq(contextPages.agentId, a.id));
    const paris = bodies.find((b) => b.body.includes('Paris'))!;
    expect(paris.retired).toBe(true);
    expect(visible.map((p) => p.id)).not.toContain(paris.id);
  });
});

describe('forks', () => {
  test('a fork sees its parent’s pages up to the fork point and never what the parent writes later', async () => {
    const filler = 'CALL current_time {}\n'.repeat(4);
    const parent = await agents.spawn({ name: 'origin', model: 'scripted:8:150', tools: ['recall', 'current_time'], input: `${filler}CALL recall {"query":"zebra stripes"}` });
    await agents.until(parent.id, (v) => v.step >= 2, 'parent at step 2');
    const res = await agents.post(`/agents/${parent.id}/fork`, { step: 2, name: 'branch' });
    expect(res.status).toBe(201);
    const fork = (await res.json()) as { id: string; parentId: string };
    expect(fork.parentId).toBe(parent.id);
    expect((await agents.post(`/agents/${parent.id}/messages`, { text: 'zebra stripes are the password' })).status).toBe(202);

    const [p, f] = [await agents.settle(parent.id), await agents.settle(fork.id)];
    expect(p.status).toBe('completed');
    expect(f).toMatchObject({ status: 'completed', step: 8 });
    const forkRow = (await getAgentRecord(stack.db.db, fork.id))!;
    const visible = await pageMetas(stack.db.db, scopeOf(forkRow));
    const inherited = await stack.db.db.select({ id: contextPages.id, step: contextPages.step }).from(contextPages).where(eq(contextPages.agentId, parent.id));
    const parentIds = new Set(inherited.map((x) => x.id));
    const seen = visible.filter((v) => parentIds.has(v.id));
    expect(seen.length).toBeGreaterThan(0);
    for (const v of seen) expect(v.step).toBeLessThanOrEqual(2);
    expect(inherited.some((x) => x.step > 2)).toBe(true);

    const calls = async (id: string) => ((await (await rootFetch(`${stack.apiUrl}/agents/${id}/tool-calls`)).json()) as { toolCalls: Array<{ tool: string; result: string }> }).toolCalls;
    expect((await calls(parent.id)).find((c) => c.tool === 'recall')!.result).toContain('zebra stripes are the password');
    expect((await calls(fork.id)).find((c) => c.tool === 'recall')!.result).not.toContain('password');
    expect((await agents.post(`/agents/${parent.id}/fork`, { step: 99 })).status).toBe(400);
  }, 60_000);
});

describe('crew memory', () => {
  test('a crew memory is recalled by every member and by no one else', async () => {
    expect((await agents.post('/crews/red-team/memories', { scope: 'long', key: 'rendezvous', content: 'The crew meets at the lighthouse.' })).status).toBe(201);
    const input = 'CALL recall {"query":"crew meets lighthouse"}';
    const member = await agents.spawn({ name: 'member', crew: 'red-team', model: 'scripted:2', tools: ['recall'], input });
    const outsider = await agents.spawn({ name: 'outsider', model: 'scripted:2', tools: ['recall'], input });
    const result = async (id: string) => ((await (await rootFetch(`${stack.apiUrl}/agents/${id}/tool-calls`)).json()) as { toolCalls: Array<{ result: string }> }).toolCalls[0]!.result;
    const settled = await Promise.all([agents.settle(member.id), agents.settle(outsider.id)]);
    expect(settled.map((s) => [s.status, s.error])).toEqual([['completed', null], ['completed', null]]);
    expect(await result(member.id)).toContain('The crew meets at the lighthouse.');
    expect(await result(outsider.id)).not.toContain('The crew meets at the lighthouse.');
    expect((await agents.post('/crews/Bad Name/memories', { scope: 'long', key: 'k', content: 'c' })).status).toBe(400);
  });
});

describe('checkpoints', () => {
  test('every step boundary is checkpointed; checkpoints can be read, diffed, and forked from', async () => {
    const a = await agents.spawn({ name: 'checkpointed', model: 'scripted:4' });
    await agents.settle(a.id);
    const { checkpoints } = (await (await rootFetch(`${stack.apiUrl}/agents/${a.id}/checkpoints`)).json()) as { checkpoints: Array<{ id: string; step: number; historyEventId: number; pages: number; status: string }> };
    expect(checkpoints.map((c) => c.step)).toEqual([0, 1, 2, 3, 4]);
    expect(checkpoints.at(-1)!.status).toBe('completed');
    for (let i = 1; i < checkpoints.length; i++) expect(checkpoints[i]!.historyEventId).toBeGreaterThan(checkpoints[i - 1]!.historyEventId);
    const read = (await (await rootFetch(`${stack.apiUrl}/agents/${a.id}/checkpoints/${checkpoints[2]!.id}`)).json()) as { state: { pages: Array<{ id: string }> } };
    expect(read.state.pages.map((p) => p.id)).toEqual([`${a.id}.s0.input`, `${a.id}.s1.reply`, `${a.id}.s2.reply`]);
    const diff = (await (await rootFetch(`${stack.apiUrl}/agents/${a.id}/checkpoints/${checkpoints[1]!.id}/diff/${checkpoints[3]!.id}`)).json()) as { steps: number; pagesAdded: Array<{ id: string }>; usage: { promptTokens: number } };
    expect(diff.steps).toBe(2);
    expect(diff.pagesAdded.map((p) => p.id)).toEqual([`${a.id}.s2.reply`, `${a.id}.s3.reply`]);
    expect(diff.usage.promptTokens).toBeGreaterThan(0);
    expect((await rootFetch(`${stack.apiUrl}/agents/${a.id}/checkpoints/nope`)).status).toBe(404);

    const fork = await agents.post(`/agents/${a.id}/fork`, { checkpointId: checkpoints[1]!.id, name: 'from-checkpoint' });
    expect(fork.status).toBe(201);
    const f = (await fork.json()) as { id: string };
    const done = await agents.settle(f.id);
    expect(done).toMatchObject({ status: 'completed', step: 4 });
  });
});
