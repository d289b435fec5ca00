import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq, like } from 'drizzle-orm';
import { getAgentRecord } from '../db/agents';
import { currentMemories } from '../db/memories';
import { checkpoints as checkpointTable, contextPages, memories, toolCalls, usageLedger } from '../db/schema';
import { scopeFilter, scopeOf } from '../db/scope';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';
import { rootFetch } from './support/keys';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });
const db = () => suite.stack.db.db;

interface CheckpointSummary { id: string; step: number; branch: number; abandonedBy: number | null; runId: string }

async function checkpointsOf(id: string): Promise<CheckpointSummary[]> {
  return ((await (await rootFetch(`${suite.stack.apiUrl}/agents/${id}/checkpoints`)).json()) as { checkpoints: CheckpointSummary[] }).checkpoints;
}

async function livePages(agentId: string) {
  return db().select().from(contextPages).where(and(eq(contextPages.agentId, agentId), eq(contextPages.retired, false)));
}

/** Every page an agent can see (its scope: own pages, ancestors' up to each fork point). */
async function visiblePageIds(agentId: string): Promise<string[]> {
  const agent = (await getAgentRecord(db(), agentId))!;
  const rows = await db().select({ id: contextPages.id }).from(contextPages).where(scopeFilter(scopeOf(agent)));
  return rows.map((r) => r.id).sort();
}

const MEMORY_SCRIPT = 'CALL save_memory {"key":"k1","content":"first fact"}\nCALL save_memory {"key":"k2","content":"second fact"}';

describe('rewind (Temporal workflow reset)', () => {
  test('a finished agent rewound to step 1 re-runs from there: its memory view, tool calls and checkpoints rewind; a fork keeps what it saw', async () => {
    const { agents } = suite;
    const a = await agents.spawn({ name: 'rewound', model: 'scripted:6', tools: ['save_memory'], input: MEMORY_SCRIPT, constraints: { maxSteps: 6 } });
    const first = await agents.settle(a.id);
    expect(first).toMatchObject({ status: 'completed', step: 6 });
    const firstRunId = (first as unknown as { workflow: { runId: string } }).workflow.runId;
    expect((await currentMemories(db(), a.id)).map((m) => m.key).sort()).toEqual(['k1', 'k2']);

    // A fork at step 4 shares the parent's steps 1–4 before the rewind.
    const forkRes = await agents.post(`/agents/${a.id}/fork`, { step: 4, name: 'sibling' });
    expect(forkRes.status).toBe(201);
    const fork = (await forkRes.json()) as { id: string };
    await agents.settle(fork.id);
    const forkSawBefore = (await visiblePageIds(fork.id)).filter((id) => id.startsWith(`${a.id}.`));
    expect(forkSawBefore).toContain(`${a.id}.s3.reply`);

    const cps = await checkpointsOf(a.id);
    const cp1 = cps.find((c) => c.step === 1)!;
    const keptIds = ((await (await rootFetch(`${suite.stack.apiUrl}/agents/${a.id}/checkpoints/${cp1.id}`)).json()) as { state: { pages: Array<{ id: string }> } }).state.pages.map((p) => p.id);
    const keptBodies = await db().select({ id: contextPages.id, body: contextPages.body }).from(contextPages).where(eq(contextPages.agentId, a.id));

    const res = await agents.post(`/agents/${a.id}/rewind`, { checkpointId: cp1.id, actor: 'tester' });
    expect(res.status).toBe(200);
    const rewind = (await res.json()) as { toStep: number; branch: number; runId: string; archivedPages: number; copiedToForks: Record<string, number> };
    expect(rewind).toMatchObject({ toStep: 1, branch: 1 });
    expect(rewind.runId).not.toBe(firstRunId);
    expect(rewind.archivedPages).toBeGreaterThanOrEqual(6); // replies 2–6, the k2 tool result and memory
    expect(rewind.copiedToForks[fork.id]).toBeGreaterThanOrEqual(4); // replies 2–4, step 2's tool result and memory

    const again = await agents.settle(a.id);
    expect(again).toMatchObject({ status: 'completed', step: 6, exitReason: 'final_answer' });
    expect(again).toMatchObject({ branch: 1 });
    expect((await getAgentRecord(db(), a.id))?.runId).toBe(rewind.runId);
    // The run really is a Temporal reset of the old one.
    const history = await suite.stack.client.workflow.getHandle(a.id, rewind.runId).fetchHistory();
    expect(history.events?.some((e) => e.workflowTaskFailedEventAttributes?.cause === 22 /* RESET_WORKFLOW */ || Boolean(e.workflowTaskFailedEventAttributes?.baseRunId))).toBe(true);

    // One live reply per step; the abandoned ones are archived, not lost.
    const live = await livePages(a.id);
    expect(live.filter((p) => p.purpose === 'reply').map((p) => p.step).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const archived = await db().select().from(contextPages).where(and(eq(contextPages.agentId, a.id), like(contextPages.purpose, '%~r1')));
    expect(archived.filter((p) => p.purpose === 'reply~r1').map((p) => p.step).sort()).toEqual([2, 3, 4, 5, 6]);
    expect(archived.length).toBeGreaterThanOrEqual(6);
    expect(archived.filter((p) => !p.retired)).toEqual([]);
    // Pages up to the checkpoint are untouched.
    for (const id of keptIds) expect(live.find((p) => p.id === id)?.body).toBe(keptBodies.find((k) => k.id === id)!.body);
    // Memory: k1 from before the checkpoint, k2 written again on the new timeline; the old k2 kept as abandoned.
    expect((await currentMemories(db(), a.id)).map((m) => m.key).sort()).toEqual(['k1', 'k2']);
    const allMemories = await db().select().from(memories).where(eq(memories.agentId, a.id));
    expect(allMemories.filter((m) => m.abandoned).map((m) => m.key)).toEqual(['k2']);
    // The tool ran again on the new timeline (new idempotency key); the first call is archived.
    const calls = await db().select().from(toolCalls).where(eq(toolCalls.agentId, a.id));
    expect(calls.filter((c) => c.step === 2)).toHaveLength(2);
    // Both timelines are billed: 6 steps, then steps 2–6 again.
    const ledger = await db().select().from(usageLedger).where(eq(usageLedger.agentId, a.id));
    expect(ledger.filter((l) => l.branch === 0)).toHaveLength(6);
    expect(ledger.filter((l) => l.branch === 1).map((l) => l.step).sort()).toEqual([2, 3, 4, 5, 6]);
    // Checkpoints after step 1 on the old timeline are marked abandoned; the new timeline has its own.
    const after = await checkpointsOf(a.id);
    const oldLater = after.filter((c) => c.branch === 0 && c.step > 1);
    expect(oldLater.map((c) => c.step).sort()).toEqual([2, 3, 4, 5, 6]);
    expect(oldLater.filter((c) => c.abandonedBy !== 1)).toEqual([]);
    expect(after.filter((c) => c.branch === 1).map((c) => c.step).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    // A checkpoint of the abandoned timeline cannot be rewound to.
    const stale = after.find((c) => c.abandonedBy === 1)!;
    const refused = await agents.post(`/agents/${a.id}/rewind`, { checkpointId: stale.id });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toContain('abandoned');

    // The fork still sees exactly what it saw (as its own copies), and nothing of the new timeline.
    const forkSees = await visiblePageIds(fork.id);
    expect(forkSees.filter((id) => id.startsWith(`${a.id}.`))).toEqual(forkSawBefore.filter((id) => /\.s[01]\./.test(id)));
    const inherited = await db().select().from(contextPages).where(and(eq(contextPages.agentId, fork.id), like(contextPages.purpose, 'inherited:%')));
    expect(inherited.map((p) => p.parentPageId).sort()).toEqual(forkSawBefore.filter((id) => !/\.s[01]\./.test(id)).sort());
  });

  test('a running agent is parked at a step boundary, then rewound; each step keeps exactly one live reply', async () => {
    const { agents } = suite;
    const a = await agents.spawn({ name: 'rewound-live', model: 'scripted:10:200', constraints: { maxSteps: 10 } });
    await waitFor(async () => (await livePages(a.id)).filter((p) => p.purpose === 'reply').length, (n) => n >= 4, 60_000, 'four steps');
    const cp2 = (await checkpointsOf(a.id)).find((c) => c.step === 2)!;
    const res = await agents.post(`/agents/${a.id}/rewind`, { checkpointId: cp2.id });
    expect(res.status).toBe(200);
    const done = await agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 10 });
    const replies = (await livePages(a.id)).filter((p) => p.purpose === 'reply');
    expect(replies.map((p) => p.step).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const archived = await db().select().from(contextPages).where(and(eq(contextPages.agentId, a.id), eq(contextPages.purpose, 'reply~r1')));
    expect(archived.length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...archived.map((p) => p.step))).toBe(3);
    const abandoned = await db().select().from(checkpointTable).where(and(eq(checkpointTable.agentId, a.id), eq(checkpointTable.abandonedBy, 1)));
    expect(abandoned.length).toBeGreaterThanOrEqual(1);
    expect(Math.min(...abandoned.map((c) => c.step))).toBe(3);
  });

  test('bad rewinds are refused with a problem body', async () => {
    const { agents } = suite;
    const a = await agents.spawn({ name: 'not-rewound', model: 'scripted:2' });
    await agents.settle(a.id);
    expect((await agents.post(`/agents/${a.id}/rewind`, { checkpointId: 'nope' })).status).toBe(404);
    expect((await agents.post('/agents/nobody/rewind', { checkpointId: 'nope' })).status).toBe(404);
    const bad = await agents.post(`/agents/${a.id}/rewind`, {});
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  test('what an abandoned timeline spent still counts against the budget after a rewind', async () => {
    const { agents } = suite;
    // A twin with no budget measures what four scripted steps cost (the model is deterministic).
    const twin = await agents.spawn({ name: 'sunk-twin', model: 'scripted:4', input: 'count the cost' });
    await agents.settle(twin.id);
    const spent = (await db().select().from(usageLedger).where(eq(usageLedger.agentId, twin.id))).reduce((n, l) => n + l.promptTokens + l.completionTokens, 0);
    // The agent's budget covers one such timeline and 10 tokens more.
    const a = await agents.spawn({ name: 'sunk', model: 'scripted:4', input: 'count the cost', constraints: { maxTotalTokens: spent + 10 } });
    expect(await agents.settle(a.id)).toMatchObject({ status: 'completed', step: 4 });
    const start = (await checkpointsOf(a.id)).find((c) => c.step === 0)!;
    expect((await agents.post(`/agents/${a.id}/rewind`, { checkpointId: start.id })).status).toBe(200);
    // Back at step 0 with the first timeline's tokens sunk: no room for another call.
    const held = await agents.until(a.id, (v) => v.hold === 'budget_exhausted', 'the sunk spend to stop it');
    expect(held).toMatchObject({ status: 'suspended', step: 0, branch: 1 });
    const lines = await db().select().from(usageLedger).where(eq(usageLedger.agentId, a.id));
    expect(lines.filter((l) => l.branch === 1)).toEqual([]);
    expect(lines.filter((l) => l.branch === 0).reduce((n, l) => n + l.promptTokens + l.completionTokens, 0)).toBe(spent);
    const state = await suite.stack.client.workflow.getHandle(a.id).query<{ sunkUsage: { promptTokens: number; completionTokens: number } }>('state');
    expect(state.sunkUsage.promptTokens + state.sunkUsage.completionTokens).toBe(spent);
    await agents.post(`/agents/${a.id}/kill`, {});
  });
});
