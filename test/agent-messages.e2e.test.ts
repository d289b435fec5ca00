import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq } from 'drizzle-orm';
import { agentEvents, auditLog, toolCalls } from '../db/schema';
import { rootFetch } from './support/keys';
import { useStack } from './support/suite';

// A real stack: bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });
const callsOf = (id: string) => suite.stack.db.db.select().from(toolCalls).where(eq(toolCalls.agentId, id));
const eventsOf = (id: string, kind: string) => suite.stack.db.db.select().from(agentEvents).where(and(eq(agentEvents.agentId, id), eq(agentEvents.kind, kind)));

describe('agents talk to each other (send_message and the inbox)', () => {
  test('a message by name reaches a running agent of the tenant: stored as its page, in its next window, in both agents’ events, audited', async () => {
    const listener = await suite.agents.spawn({ name: 'listener', model: 'scripted:10:800', constraints: { maxSteps: 10 }, input: 'wait for news' });
    await suite.agents.until(listener.id, (v) => v.step >= 1, 'the listener to start');
    const sender = await suite.agents.spawn({ name: 'sender', model: 'scripted:2', tools: ['send_message'], input: 'CALL send_message {"to":"listener","text":"the build is green"}' });
    expect((await suite.agents.settle(sender.id)).status).toBe('completed');
    const [call] = await callsOf(sender.id);
    expect(call).toMatchObject({ tool: 'send_message', status: 'succeeded' });
    expect(call!.result).toBe(`delivered to listener (${listener.id}); it reads it at its next step`);

    const inbox = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${listener.id}/inbox`)).json()) as { messages: Array<{ pageId: string; from: string; fromName: string; text: string }> };
    expect(inbox.messages).toHaveLength(1);
    expect(inbox.messages[0]).toMatchObject({ from: sender.id, fromName: 'sender', text: 'the build is green' });
    expect(await eventsOf(sender.id, 'message.sent')).toHaveLength(1);
    expect(await eventsOf(listener.id, 'message.received')).toHaveLength(1);
    const [audit] = await suite.stack.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'agent.message'), eq(auditLog.subject, listener.id)));
    expect(audit).toMatchObject({ actor: `agent:${sender.id}` });
    expect(JSON.stringify(audit!.data)).not.toContain('build is green'); // the audit log keeps no content

    // The listener's model sees it: a later step's window holds the message page.
    expect((await suite.agents.settle(listener.id)).status).toBe('completed');
    const { steps } = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${listener.id}/metrics`)).json()) as { steps: Array<{ pages?: Array<{ id: string }> }> };
    expect(steps.some((m) => (m.pages ?? []).some((p) => p.id === inbox.messages[0]!.pageId))).toBe(true);

    // A finished agent reads no more messages: the sender's model is told so.
    const late = await suite.agents.spawn({ name: 'late-sender', model: 'scripted:2', tools: ['send_message'], input: `CALL send_message {"to":"${listener.id}","text":"too late"}` });
    await suite.agents.settle(late.id);
    expect((await callsOf(late.id))[0]!.result).toContain('has finished (completed)');
  });

  test('another tenant’s agents cannot be messaged, by id or by name', async () => {
    const target = await suite.agents.spawn({ name: 'private-target', model: 'scripted:6:700', constraints: { maxSteps: 6 }, input: 'x' });
    const key = ((await (await suite.agents.post('/keys', { name: 'globex-op', tenant: 'globex', scopes: ['operator'] })).json()) as { key: string }).key;
    const spawnAsGlobex = async (input: string) => {
      const res = await fetch(`${suite.stack.apiUrl}/agents`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'intruder', role: 'r', goal: 'g', model: 'scripted:2', tools: ['send_message'], input }) });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    for (const to of [target.id, 'private-target']) {
      const intruder = await spawnAsGlobex(`CALL send_message {"to":"${to}","text":"let me in"}`);
      await suite.agents.settle(intruder);
      expect((await callsOf(intruder))[0]!.result).toStartWith(`error: there is no agent "${to}" you can message`);
    }
    const inbox = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${target.id}/inbox`)).json()) as { messages: unknown[] };
    expect(inbox.messages).toEqual([]);
    expect((await suite.agents.post(`/agents/${target.id}/kill`, { reason: 'test over' })).status).toBe(202);
  });
});
