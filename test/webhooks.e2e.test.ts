import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { Webhook } from 'standardwebhooks';
import { webhookWorkflowId } from '../control/webhooks';
import { rootFetch } from './support/keys';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';

setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });

type Received = { id: string; headers: Record<string, string>; body: string; type: string; agentId: string };
const received: Received[] = [];
/** The receiver answers 503 to this many requests, then 200. */
let failNext = 0;
let receiver: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  receiver = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = await req.text();
      const parsed = JSON.parse(body) as { type: string; data: { agentId: string } };
      received.push({ id: req.headers.get('webhook-id') ?? '', headers: Object.fromEntries(req.headers), body, type: parsed.type, agentId: parsed.data.agentId });
      if (failNext > 0) {
        failNext--;
        return new Response('down', { status: 503 });
      }
      return new Response('ok');
    },
  });
});
afterAll(() => receiver?.stop(true));

const api = (path: string, init?: RequestInit) => rootFetch(`${suite.stack.apiUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) } });
type Delivery = { id: string; eventType: string; status: string; attempts: number; lastStatus: number | null };

describe('webhooks', () => {
  test('signed, deduplicable deliveries; a receiver that is down gets retries and never holds an agent up; the log and manual redelivery', async () => {
    const reg = await api('/webhooks', { method: 'POST', body: JSON.stringify({ url: `http://127.0.0.1:${receiver.port}/hook`, types: ['agent.finished', 'tool.completed'] }) });
    expect(reg.status).toBe(201);
    const hook = (await reg.json()) as { id: string; secret: string; types: string[] };
    expect(hook.secret).toStartWith('whsec_');
    expect(JSON.stringify(await (await api('/webhooks')).json())).not.toContain(hook.secret);

    const a = await suite.agents.spawn({ name: 'hooked', model: 'scripted:3', tools: ['calculator'], input: 'CALL calculator {"expression":"2+3"}' });
    await suite.agents.settle(a.id);
    const mine = () => received.filter((r) => r.agentId === a.id);
    await waitFor(async () => mine(), (r) => r.some((x) => x.type === 'agent.finished'), 30_000, 'the agent.finished delivery');
    expect(mine().map((r) => r.type).sort()).toEqual(['agent.finished', 'tool.completed']);
    // Signed per Standard Webhooks: the receiver verifies with the secret; a tampered body fails.
    const signer = new Webhook(hook.secret);
    for (const r of mine()) expect(() => signer.verify(r.body, r.headers)).not.toThrow();
    expect(() => signer.verify(mine()[0]!.body.replace('agent', 'agenT'), mine()[0]!.headers)).toThrow();

    // The receiver goes down for two attempts: the agent finishes regardless, the delivery arrives on the third.
    failNext = 2;
    const b = await suite.agents.spawn({ name: 'hooked-2', model: 'scripted:2', input: 'hello' });
    expect((await suite.agents.settle(b.id)).status).toBe('completed');
    const tries = await waitFor(async () => received.filter((r) => r.agentId === b.id), (r) => r.length >= 3, 60_000, 'three attempts');
    expect(new Set(tries.map((r) => r.id)).size).toBe(1);
    const log = async () => ((await (await api(`/webhooks/${hook.id}/deliveries`)).json()) as { deliveries: Delivery[] }).deliveries;
    const delivered = await waitFor(log, (d) => d.find((x) => x.id === tries[0]!.id)?.status === 'delivered', 30_000, 'the log to say delivered');
    expect(delivered.find((x) => x.id === tries[0]!.id)).toMatchObject({ eventType: 'agent.finished', attempts: 3, lastStatus: 200 });

    // Manual redelivery: the same webhook-id again.
    const first = mine().find((r) => r.type === 'agent.finished')!;
    const before = received.filter((r) => r.id === first.id).length;
    expect((await api(`/webhooks/${hook.id}/deliveries/${first.id}/redeliver`, { method: 'POST' })).status).toBe(202);
    await waitFor(async () => received.filter((r) => r.id === first.id).length, (n) => n === before + 1, 30_000, 'the redelivery');

    // Another tenant sees none of it; a tenant admin cannot point a webhook at a private address.
    const admin = ((await (await api('/keys', { method: 'POST', body: JSON.stringify({ name: 'hooks-other', tenant: 'acme-hooks', scopes: ['admin'] }) })).json()) as { key: string }).key;
    const asOther = (path: string, init?: RequestInit) => fetch(`${suite.stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } });
    expect(((await (await asOther('/webhooks')).json()) as { webhooks: unknown[] }).webhooks).toEqual([]);
    expect((await asOther(`/webhooks/${hook.id}/deliveries`)).status).toBe(404);
    expect((await asOther('/webhooks', { method: 'POST', body: JSON.stringify({ url: `http://127.0.0.1:${receiver.port}/hook` }) })).status).toBe(403);
    expect((await asOther('/webhooks', { method: 'POST', body: JSON.stringify({ url: 'https://example.com/x', types: ['agent.**'] }) })).status).toBe(400);

    // Deleted: its workflow ends, nothing more is sent.
    expect((await api(`/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(204);
    const ended = await suite.stack.client.workflow.getHandle(webhookWorkflowId(hook.id)).describe();
    expect(ended.status.name).not.toBe('RUNNING');
  });
});
