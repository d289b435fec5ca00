import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import { rowsOf } from '../db/raw-rows';
import { scopeFilter, scopeOf } from '../db/scope';
import { agentEvents, agents, auditLog, checkpoints, contextPages, memories, toolCalls, usageLedger } from '../db/schema';
import { retentionScheduleId } from '../infra/maintenance-schedules';
import { rootFetch } from './support/keys';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';

// A real stack on Postgres (no pgvector here: page embeddings go by the same cascade as their pages,
// covered where PGlite has pgvector by the schema's ON DELETE CASCADE).
setDefaultTimeout(180_000);

const suite = useStack({ database: 'postgres' });
const api = (path: string, init?: RequestInit, key?: string) =>
  key ? fetch(`${suite.stack.apiUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(init?.headers ?? {}) } }) : rootFetch(`${suite.stack.apiUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) } });
const SECRET = 'zebra-4471';
const count = async (table: typeof contextPages | typeof checkpoints | typeof toolCalls | typeof memories, agentId: string) =>
  rowsOf<{ n: number }>(await suite.stack.db.db.execute(sql`select count(*)::int as n from ${table} where agent_id = ${agentId}`))[0]!.n;

describe('deleting an agent for real', () => {
  test('a finished agent is erased from every door; its fork keeps what it saw; the ledger keeps its billing; Temporal forgets its runs', async () => {
    const input = `CALL save_memory {"key":"passphrase","content":"the launch passphrase is ${SECRET}"}\nThe passphrase is saved.`;
    const parent = await suite.agents.spawn({ name: 'keeper', model: 'scripted:3', tools: ['save_memory'], input });
    expect((await suite.agents.settle(parent.id)).status).toBe('completed');
    const fork = (await (await suite.agents.post(`/agents/${parent.id}/fork`, { step: 1, input: 'What was saved?' })).json()) as { id: string };
    await suite.agents.settle(fork.id);
    // What the fork sees: its own pages and, copy-on-write, its parent's up to the fork step.
    const forkSees = async () => {
      const [row] = await suite.stack.db.db.select().from(agents).where(eq(agents.id, fork.id));
      return (await suite.stack.db.db.select({ body: contextPages.body }).from(contextPages).where(scopeFilter(scopeOf(row!)))).map((p) => p.body).sort();
    };
    const forkPagesBefore = await forkSees();
    expect(forkPagesBefore.some((b) => b.includes(SECRET))).toBe(true);
    const ledgerBefore = await suite.stack.db.db.select().from(usageLedger).where(eq(usageLedger.agentId, parent.id));
    expect(ledgerBefore.length).toBeGreaterThan(0);
    expect(await count(toolCalls, parent.id)).toBe(1);

    // A live agent is refused: kill it first.
    const live = await suite.agents.spawn({ name: 'busy', model: 'scripted:3', tools: ['publish'], input: 'CALL publish {"channel":"ops","text":"hold"}' });
    await suite.agents.until(live.id, (v) => v.pendingApproval !== null, 'the agent to wait');
    const refused = await api(`/agents/${live.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toContain('kill it');

    const res = await api(`/agents/${parent.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const done = (await res.json()) as { pages: number; checkpoints: number; events: number; toolCalls: number; memories: number; forksCopied: string[]; history: { deleted?: number } };
    expect(done.pages).toBeGreaterThan(2);
    expect(done.checkpoints).toBeGreaterThan(0);
    expect(done.events).toBeGreaterThan(0);
    expect(done.toolCalls).toBe(1);
    expect(done.memories).toBe(1);
    expect(done.forksCopied).toEqual([fork.id]);
    expect(done.history.deleted).toBeGreaterThanOrEqual(1);

    // No door finds it: routes, listings, memory search, full-text, tool calls, events, checkpoints.
    expect((await api(`/agents/${parent.id}`)).status).toBe(404);
    expect((await api(`/agents/${parent.id}/pages`)).status).toBe(404);
    expect((await api(`/agents/${parent.id}/checkpoints`)).status).toBe(404);
    const listed = (await (await api('/agents?limit=200')).json()) as { agents: Array<{ id: string }> };
    expect(listed.agents.map((a) => a.id)).not.toContain(parent.id);
    expect(((await (await api(`/memories?q=passphrase&agent=${parent.id}`)).json()) as { memories: unknown[] }).memories).toEqual([]);
    for (const table of [contextPages, checkpoints, toolCalls, memories] as const) expect(await count(table, parent.id)).toBe(0);
    expect((await suite.stack.db.db.select().from(agentEvents).where(eq(agentEvents.agentId, parent.id))).length).toBe(0);
    // Full text finds the passphrase only in the fork's pages (its copy, and its own replies that quoted it).
    const fts = rowsOf<{ owner: string }>(await suite.stack.db.db.execute(sql`select distinct agent_id as owner from ${contextPages} where tsv @@ to_tsquery('english', 'zebra')`));
    expect(fts.map((r) => r.owner)).toEqual([fork.id]);
    const [row] = await suite.stack.db.db.select().from(agents).where(eq(agents.id, parent.id));
    expect(row!.goal).toBe('');
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(row!.historyDeletedAt).toBeInstanceOf(Date);

    // Temporal's door: every run of its workflow is gone (the UI and `temporal workflow show` read the same).
    // (Temporal deletes asynchronously: on the dev server the runs go 10–30 s after the answer.)
    const gone = async () => suite.stack.client.workflow.getHandle(parent.id).describe().then(() => false, (err: unknown) => err instanceof WorkflowNotFoundError);
    expect(await waitFor(gone, (g) => g, 90_000, 'Temporal to delete the runs')).toBe(true);

    // The ledger keeps its billing rows (no content in them); the audit log says it happened, not what was said.
    expect(await suite.stack.db.db.select().from(usageLedger).where(eq(usageLedger.agentId, parent.id))).toEqual(ledgerBefore);
    const [audit] = await suite.stack.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'agent.deleted'), eq(auditLog.subject, parent.id)));
    expect(audit!.data).toMatchObject({ pages: done.pages, toolCalls: 1, memories: 1, reason: 'request' });
    expect(JSON.stringify(await (await api('/audit?limit=500')).json())).not.toContain(SECRET);

    // The fork kept its own copy: it sees what it saw before, and runs on.
    expect(await forkSees()).toEqual(forkPagesBefore);

    // Deleting again is answered the same way (a retried request), and nothing more goes.
    const again = (await (await api(`/agents/${parent.id}`, { method: 'DELETE' })).json()) as { alreadyErased: boolean; pages: number };
    expect(again).toMatchObject({ alreadyErased: true, pages: 0 });
    await api(`/agents/${live.id}/kill`, { method: 'POST', body: '{}' });
  });

  test('checkpoints can be tagged and deleted; a tenant retention policy, run by its Temporal Schedule, erases finished agents and untagged checkpoints', async () => {
    const created = (await (await api('/keys', { method: 'POST', body: JSON.stringify({ name: 'retain-admin', tenant: 'retainco', scopes: ['admin'] }) })).json()) as { key: string };
    const key = created.key;
    const spawn = async (body: Record<string, unknown>) => {
      const res = await api('/agents', { method: 'POST', body: JSON.stringify({ role: 'r', goal: 'g', ...body }) }, key);
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const finished = await spawn({ name: 'old', model: 'scripted:2', input: 'done' });
    await suite.agents.settle(finished);
    const waiting = await spawn({ name: 'long-lived', model: 'scripted:8', tools: ['calculator', 'publish'], input: 'CALL calculator {"expression":"1+1"}\nCALL calculator {"expression":"2+2"}\nCALL calculator {"expression":"3+3"}\nCALL calculator {"expression":"4+4"}\nCALL publish {"channel":"ops","text":"hold"}' });
    await suite.agents.until(waiting, (v) => v.pendingApproval !== null, 'the agent to wait');
    const other = (await suite.agents.spawn({ name: 'default-tenant', model: 'scripted:2', input: 'done' })).id;
    await suite.agents.settle(other);

    type Cp = { id: string; step: number; tags: string[] };
    const cps = async () => ((await (await api(`/agents/${waiting}/checkpoints`, undefined, key)).json()) as { checkpoints: Cp[] }).checkpoints;
    const before = await cps();
    expect(before.length).toBeGreaterThanOrEqual(5);
    const [first, second] = before;
    const tagged = await api(`/agents/${waiting}/checkpoints/${first!.id}/tags`, { method: 'PUT', body: JSON.stringify({ tags: ['baseline', 'baseline'] }) }, key);
    expect(await tagged.json()).toEqual({ id: first!.id, tags: ['baseline'] });
    expect((await api(`/agents/${waiting}/checkpoints/${first!.id}/tags`, { method: 'PUT', body: JSON.stringify({ tags: ['no spaces'] }) }, key)).status).toBe(400);
    expect(((await (await api(`/agents/${waiting}/checkpoints?tag=baseline`, undefined, key)).json()) as { checkpoints: Cp[] }).checkpoints.map((c) => c.id)).toEqual([first!.id]);
    expect((await api(`/agents/${waiting}/checkpoints/${second!.id}`, { method: 'DELETE' }, key)).status).toBe(200);
    expect((await api(`/agents/${waiting}/checkpoints/${second!.id}`, { method: 'DELETE' }, key)).status).toBe(404);

    // The policy: finished agents' content and untagged checkpoints go at once (0 days).
    const policy = await api('/retention', { method: 'PUT', body: JSON.stringify({ finishedAgentDays: 0, checkpointDays: 0 }) }, key);
    expect(await policy.json()).toMatchObject({ tenant: 'retainco', finishedAgentDays: 0, checkpointDays: 0 });
    expect((await api('/retention', { method: 'PUT', body: JSON.stringify({ finishedAgentDays: -1, checkpointDays: null }) }, key)).status).toBe(400);

    await suite.stack.client.schedule.getHandle(retentionScheduleId(suite.stack.config.TASK_QUEUE)).trigger();
    await waitFor(async () => (await suite.stack.db.db.select({ at: agents.deletedAt }).from(agents).where(eq(agents.id, finished)))[0]!.at, (at) => at !== null, 60_000, 'the retention pass to erase the finished agent');
    const after = await waitFor(cps, (list) => list.length < before.length - 1, 30_000, 'the untagged checkpoints to go');
    const newest = before.reduce((a, b) => (b.step > a.step ? b : a));
    // Kept: the tagged one, and the live agent's newest (where it would be rewound from).
    expect(after.map((c) => c.id).sort()).toEqual([first!.id, newest.id].sort());
    expect((await api(`/agents/${finished}`, undefined, key)).status).toBe(404);
    expect(await count(contextPages, finished)).toBe(0);
    // Another tenant's finished agent is not touched by this tenant's policy.
    expect((await suite.agents.get(other)).status).toBe('completed');
    expect(await count(contextPages, other)).toBeGreaterThan(0);
    const [audit] = await suite.stack.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'agent.deleted'), eq(auditLog.subject, finished)));
    expect(audit!.actor).toBe('retention');
    expect(audit!.data).toMatchObject({ reason: 'retention' });
    await api(`/agents/${waiting}/kill`, { method: 'POST', body: '{}' }, key);
  });
});
