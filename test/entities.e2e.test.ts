import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq } from 'drizzle-orm';
import { agentEvents, contextPages, usageLedger } from '../db/schema';
import type { Stack } from '../infra/stack';
import { agentClient } from './support/agent-client';
import { startFakeLlm } from './support/fake-llm';
import { rootFetch } from './support/keys';
import { startTestStack } from './support/stack';
import { waitFor } from './support/wait';

// A real stack on Postgres, with a fake OpenAI-compatible provider for the agent's-own-model extractor.
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

type Fact = { attribute: string; value: string; version: number; validFrom: string; validUntil: string | null; extractor: string | null; sourcePageId: string | null };
type Entities = { entities: Array<{ entity: string; facts: Fact[] }> };
const get = async <T>(path: string, key?: string) => (await (key ? fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${key}` } }) : rootFetch(`${stack.apiUrl}${path}`))).json() as Promise<T>;
const factsOf = (e: Entities, entity: string) => e.entities.find((x) => x.entity.toLowerCase() === entity.toLowerCase())?.facts ?? [];
const valueOf = (e: Entities, entity: string, attribute: string) => factsOf(e, entity).find((f) => f.attribute === attribute && f.validUntil === null)?.value;

describe('entity memory', () => {
  test('a fact that changes: the old version closed with its validity end, the new one current, never a duplicate', async () => {
    const input = 'Hi, my name is Ana. I live in Porto and I work at Acme Labs.\nCALL publish {"channel":"ops","text":"one"}\nCALL publish {"channel":"ops","text":"two"}';
    const a = await agents.spawn({ name: 'listener', model: 'scripted:6', tools: ['publish'], input });
    const first = await agents.until(a.id, (v) => v.pendingApproval !== null, 'the first approval');
    const initial = await waitFor(() => get<Entities>(`/agents/${a.id}/entities`), (e) => factsOf(e, 'user').length === 3, 20_000, 'the first facts');
    expect(valueOf(initial, 'user', 'name')).toBe('Ana');
    expect(valueOf(initial, 'user', 'lives_in')).toBe('Porto');
    expect(valueOf(initial, 'user', 'works_at')).toBe('Acme Labs');
    expect(factsOf(initial, 'user').every((f) => f.extractor === 'rules' && f.sourcePageId !== null)).toBe(true);

    // The user moves: the next step takes the message in, and the fact gets a new version.
    expect((await agents.post(`/agents/${a.id}/messages`, { text: "Quick update: I moved to Lisbon last week. Melanie works at the museum." })).status).toBeLessThan(300);
    expect((await agents.post(`/agents/${a.id}/approvals`, { callId: first.pendingApproval!.callId, approved: true })).status).toBeLessThan(300);
    const second = await agents.until(a.id, (v) => v.pendingApproval !== null && v.pendingApproval.callId !== first.pendingApproval!.callId, 'the second approval');
    const moved = await waitFor(() => get<Entities>(`/agents/${a.id}/entities`), (e) => valueOf(e, 'user', 'lives_in') === 'Lisbon', 20_000, 'the move to be known');
    expect(valueOf(moved, 'Melanie', 'works_at')).toBe('the museum');

    // Said again, in other words: left alone.
    expect((await agents.post(`/agents/${a.id}/messages`, { text: 'As I said, I live in Lisbon. My name is Ana.' })).status).toBeLessThan(300);
    expect((await agents.post(`/agents/${a.id}/approvals`, { callId: second.pendingApproval!.callId, approved: true })).status).toBeLessThan(300);
    expect((await agents.settle(a.id)).status).toBe('completed');

    const history = await get<Entities>(`/agents/${a.id}/entities?history=true`);
    const livesIn = factsOf(history, 'user').filter((f) => f.attribute === 'lives_in');
    expect(livesIn.map((f) => [f.value, f.version])).toEqual([['Porto', 1], ['Lisbon', 2]]);
    expect(livesIn[0]!.validUntil).not.toBeNull();
    expect(Date.parse(livesIn[0]!.validUntil!)).toBeLessThanOrEqual(Date.parse(livesIn[1]!.validFrom));
    expect(livesIn[1]!.validUntil).toBeNull();
    expect(factsOf(history, 'user').filter((f) => f.attribute === 'name')).toHaveLength(1);
    // Current view: one value per attribute.
    const now = await get<Entities>(`/agents/${a.id}/entities`);
    expect(factsOf(now, 'user').map((f) => `${f.attribute}=${f.value}`).sort()).toEqual(['lives_in=Lisbon', 'name=Ana', 'works_at=Acme Labs']);

    // Retrieval sees the current fact; the closed one's page is retired.
    const pages = await stack.db.db.select().from(contextPages).where(and(eq(contextPages.agentId, a.id), eq(contextPages.kind, 'memory')));
    expect(pages.filter((p) => !p.retired).map((p) => p.body)).toContain('Memory (entity) "user.lives_in": user lives in: Lisbon');
    expect(pages.filter((p) => p.retired).map((p) => p.body)).toEqual(['Memory (entity) "user.lives_in": user lives in: Porto']);
    // Both agents' events say facts were learned; the search and tenant doors find them, another tenant's do not.
    const events = await stack.db.db.select().from(agentEvents).where(and(eq(agentEvents.agentId, a.id), eq(agentEvents.kind, 'memory.facts')));
    expect(events.length).toBeGreaterThanOrEqual(2);
    const tenantWide = await get<Entities>('/entities?entity=melanie');
    expect(tenantWide.entities.map((e) => e.entity)).toEqual(['Melanie']);
    const other = ((await (await agents.post('/keys', { name: 'entities-other', tenant: 'initech', scopes: ['viewer'] })).json()) as { key: string }).key;
    expect((await get<Entities>('/entities', other)).entities).toEqual([]);
    expect((await fetch(`${stack.apiUrl}/agents/${a.id}/entities`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(404);
    const found = await get<{ memories: Array<{ content: string }> }>(`/memories?scope=entity&agent=${a.id}&q=Lisbon`);
    expect(found.memories.map((m) => m.content)).toEqual(['user lives in: Lisbon']);
    // By type: facts are the entity facts; notes are memories written as text (here what `publish` published).
    expect((await get<{ memories: Array<{ scope: string }> }>(`/memories?type=fact&agent=${a.id}`)).memories.map((m) => m.scope)).toEqual(['entity', 'entity', 'entity', 'entity']);
    const notes = (await get<{ memories: Array<{ key: string }> }>(`/memories?type=note&agent=${a.id}`)).memories;
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.every((m) => m.key === 'ops')).toBe(true);
  });

  test('entityMemory off keeps nothing; model extraction uses the agent’s own model, billed to it, and reconciles the same way', async () => {
    const off = await agents.spawn({ name: 'quiet', model: 'scripted:2', constraints: { maxSteps: 2, entityMemory: 'off' }, input: 'I live in Oslo.' });
    await agents.settle(off.id);
    expect((await get<Entities>(`/agents/${off.id}/entities`)).entities).toEqual([]);

    let extractions = 0;
    fake.respond = (body) => {
      const messages = (body as { messages: Array<{ content: string | null }> }).messages;
      if (messages[0]?.content?.startsWith('Read the messages and list the lasting facts')) {
        extractions++;
        return { body: { choices: [{ index: 0, message: { role: 'assistant', content: '{"entity":"user","attribute":"pet","value":"a cat named Miso","sentence":"our cat Miso"}\nnot json\n{"entity":"Bo","attribute":"lives_in","value":"Kyoto","sentence":"Bo is in Kyoto"}' }, finish_reason: 'stop' }], usage: { prompt_tokens: 90, completion_tokens: 30 } } };
      }
      return { body: { choices: [{ index: 0, message: { role: 'assistant', content: 'noted' }, finish_reason: 'stop' }], usage: { prompt_tokens: 50, completion_tokens: 5 } } };
    };
    try {
      const a = await agents.spawn({ name: 'modelled', model: 'openai:gpt-4o-mini', constraints: { maxSteps: 2, entityMemory: 'model' }, input: 'We adopted our cat Miso, and my friend Bo is in Kyoto now.' });
      const done = await agents.settle(a.id);
      expect(done.status).toBe('completed');
      const e = await waitFor(() => get<Entities>(`/agents/${a.id}/entities`), (x) => x.entities.length === 2, 20_000, 'the model’s facts');
      expect(valueOf(e, 'user', 'pet')).toBe('a cat named Miso');
      expect(valueOf(e, 'Bo', 'lives_in')).toBe('Kyoto');
      expect(factsOf(e, 'Bo')[0]!.extractor).toBe('model');
      expect(extractions).toBe(1);
      // Billed on its own ledger line, and counted in the agent's usage.
      const ledger = await stack.db.db.select().from(usageLedger).where(eq(usageLedger.agentId, a.id));
      expect(ledger.filter((r) => r.part === 'entities').map((r) => [r.promptTokens, r.completionTokens])).toEqual([[90, 30]]);
      expect(done.usage.promptTokens).toBe(ledger.reduce((n, r) => n + r.promptTokens, 0));
    } finally {
      fake.respond = undefined;
    }
  });
});
