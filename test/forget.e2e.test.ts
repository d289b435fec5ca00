import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq, sql } from 'drizzle-orm';
import { auditLog, contextPages, memories, toolCalls } from '../db/schema';
import { memorySweepScheduleId } from '../infra/maintenance-schedules';
import { rowsOf } from '../db/raw-rows';
import { rootFetch } from './support/keys';
import { useStack } from './support/suite';

// A real stack on Postgres (no pgvector here: the vector door is the same cascade, covered where PGlite has it).
setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });
const json = async <T>(path: string, key?: string) => (await (key ? fetch(`${suite.stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${key}` } }) : rootFetch(`${suite.stack.apiUrl}${path}`))).json() as Promise<T>;
type Memory = { id: string; key: string; content: string; scope: string };

describe('forgetting a memory for real', () => {
  test('searchable by scope and words while it lives; deleted, no door finds it: routes, search, full-text, recall, audit', async () => {
    // The agent waits on an approval, then recalls "code": it must find the gate code and not the vault's.
    const agent = await suite.agents.spawn({ name: 'keeper', model: 'scripted:3', tools: ['publish', 'recall'], input: 'CALL publish {"channel":"ops","text":"hold"}\nCALL recall {"query":"code"}' });
    const waiting = await suite.agents.until(agent.id, (v) => v.pendingApproval !== null, 'the keeper to wait');
    const vault = (await (await suite.agents.post(`/agents/${agent.id}/memories`, { scope: 'long', key: 'vault', content: 'the vault code is 7319' })).json()) as Memory;
    await suite.agents.post(`/agents/${agent.id}/memories`, { scope: 'short', key: 'gate', content: 'the garden gate code is 5555' });
    const corrected = (await (await suite.agents.post(`/memories/${vault.id}/feedback`, { mode: 'replace', content: 'the vault code is 8420' })).json()) as Memory;

    // Search: current versions only, by words and scope; another tenant sees none of it.
    const found = await json<{ memories: Memory[] }>('/memories?q=vault');
    expect(found.memories.map((m) => m.content)).toEqual(['the vault code is 8420']);
    expect((await json<{ memories: Memory[] }>(`/memories?scope=short&agent=${agent.id}`)).memories.map((m) => m.key)).toEqual(['gate']);
    const other = ((await (await suite.agents.post('/keys', { name: 'forget-other', tenant: 'globex', scopes: ['viewer'] })).json()) as { key: string }).key;
    expect((await json<{ memories: Memory[] }>('/memories?q=vault', other)).memories).toEqual([]);

    // Forget it (any version's id takes the whole chain).
    expect((await rootFetch(`${suite.stack.apiUrl}/memories/${vault.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await rootFetch(`${suite.stack.apiUrl}/memories/${corrected.id}`, { method: 'DELETE' })).status).toBe(404);

    // The facts as written (bare digits could turn up inside a random id or an audit hash).
    const secrets = ['vault code is 7319', 'vault code is 8420'];
    const none = (text: string) => secrets.every((s) => !text.includes(s));
    expect(none(JSON.stringify(await json(`/agents/${agent.id}/memories`)))).toBe(true);
    for (const id of [vault.id, corrected.id]) expect((await rootFetch(`${suite.stack.apiUrl}/memories/${id}/versions`)).status).toBe(404);
    expect((await json<{ memories: Memory[] }>('/memories?q=vault')).memories).toEqual([]);
    expect(none(JSON.stringify(await json(`/agents/${agent.id}/pages`)))).toBe(true);
    const fts = rowsOf<{ n: number }>(await suite.stack.db.db.execute(sql`select count(*)::int as n from ${contextPages} where to_tsvector('english', ${contextPages.body}) @@ to_tsquery('english', '7319 | 8420')`));
    expect(fts[0]!.n).toBe(0);
    // The audit log says a deletion (and a correction) happened, never what they said.
    expect(none(JSON.stringify(await json('/audit?limit=200')))).toBe(true);
    const [deleted] = await suite.stack.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'memory.deleted'), eq(auditLog.subject, vault.id)));
    expect(deleted!.data).toMatchObject({ versions: 2, pages: 2 });

    // The agent's recall, asked after the deletion, finds the gate code and not the vault's.
    expect((await suite.agents.post(`/agents/${agent.id}/approvals`, { callId: waiting.pendingApproval!.callId, approved: true })).status).toBeLessThan(300);
    expect((await suite.agents.settle(agent.id)).status).toBe('completed');
    const recall = (await suite.stack.db.db.select().from(toolCalls).where(and(eq(toolCalls.agentId, agent.id), eq(toolCalls.tool, 'recall'))))[0]!;
    expect(recall.result).toContain('5555');
    expect(none(recall.result!)).toBe(true);
  });

  test('short-term memory expires: gone from every view at its end, deleted by the sweep schedule; a recall starts its life again', async () => {
    const a = await suite.agents.spawn({ name: 'brief', model: 'scripted:3', tools: ['publish', 'recall'], constraints: { maxSteps: 3, shortMemoryTtlMs: 8_000 }, input: 'CALL publish {"channel":"ops","text":"hold"}\nCALL recall {"query":"one-time code"}' });
    const waiting = await suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'the agent to wait');
    const otp = (await (await suite.agents.post(`/agents/${a.id}/memories`, { scope: 'short', key: 'otp', content: 'the one-time code is 4242' })).json()) as Memory;
    const note = (await (await suite.agents.post(`/agents/${a.id}/memories`, { scope: 'short', key: 'note', content: 'the parking spot is B7' })).json()) as Memory;
    await suite.agents.post(`/agents/${a.id}/memories`, { scope: 'long', key: 'name', content: 'the owner is Ada' });
    const expiry = async (id: string) => (await suite.stack.db.db.select({ at: memories.expiresAt }).from(memories).where(eq(memories.id, id)))[0]?.at ?? null;
    const first = await expiry(otp.id);
    expect(first).toBeInstanceOf(Date);

    // The agent recalls the code: its memory lives again from then; the unrecalled note does not.
    await Bun.sleep(300);
    expect((await suite.agents.post(`/agents/${a.id}/approvals`, { callId: waiting.pendingApproval!.callId, approved: true })).status).toBeLessThan(300);
    expect((await suite.agents.settle(a.id)).status).toBe('completed');
    expect((await expiry(otp.id))!.getTime()).toBeGreaterThan(first!.getTime());
    expect((await expiry(note.id))!.getTime()).toBeLessThan((await expiry(otp.id))!.getTime());

    // Past their end they leave every view at once…
    const lastEnd = Math.max((await expiry(otp.id))!.getTime(), (await expiry(note.id))!.getTime());
    await Bun.sleep(Math.max(0, lastEnd - Date.now()) + 300);
    const keys = (await json<{ memories: Memory[] }>(`/memories?agent=${a.id}`)).memories.map((m) => m.key);
    // (`ops` is what the publish tool published: not short-term.)
    expect(keys.sort()).toEqual(['name', 'ops']);
    expect((await json<{ memories: Memory[] }>(`/agents/${a.id}/memories`)).memories.map((m) => m.key).sort()).toEqual(['name', 'ops']);
    // …and the schedule's sweep deletes them (here fired at once rather than waiting its minute).
    await suite.stack.client.schedule.getHandle(memorySweepScheduleId(suite.stack.config.TASK_QUEUE)).trigger();
    for (let i = 0; i < 100 && (await expiry(note.id)) !== null; i++) await Bun.sleep(100);
    expect((await suite.stack.db.db.select().from(memories).where(eq(memories.agentId, a.id))).map((m) => m.key).sort()).toEqual(['name', 'ops']);
    const swept = await suite.stack.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'memory.deleted'), eq(auditLog.actor, 'kernel:memory-sweep')));
    expect(swept.map((r) => r.subject).sort()).toEqual([note.id, otp.id].sort());
    // Their memory pages went with them (a reply that quoted one is the conversation's, and stays: see the README).
    const memoryPages = (await json<{ pages: Array<{ kind: string; body: string }> }>(`/agents/${a.id}/pages`)).pages.filter((p) => p.kind === 'memory');
    expect(memoryPages.map((p) => p.body)).toEqual(['Memory (long) "name": the owner is Ada']);
  });
});

