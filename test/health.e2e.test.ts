import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { agentClient } from './support/agent-client';
import { rootFetch } from './support/keys';
import { waitFor } from './support/wait';
import { useWorkerFleet } from './support/worker-fleet';

// The API alone, with worker processes started and stopped by the test; a fake OpenAI-compatible provider.
setDefaultTimeout(180_000);

const fleet = useWorkerFleet();
const { fake, workers } = fleet;

type Ready = { status: string; checks: Record<'database' | 'temporal' | 'workers', { status: string; ms: number; detail?: string }>; queues: Array<{ queue: string; type: string; pollers: number }>; nodes: Array<{ id: string; providers: Record<string, string> }> };
const readyz = async () => {
  const res = await fetch(`${fleet.stack().apiUrl}/readyz`);
  return { code: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Ready };
};

describe('probes an orchestrator can use', () => {
  test('/livez answers without asking anything; /readyz needs a worker on every queue, and follows workers leaving and coming back', async () => {
    const live = await fetch(`${fleet.stack().apiUrl}/livez`);
    expect(live.status).toBe(200);
    expect(((await live.json()) as { status: string }).status).toBe('ok');

    // No worker yet: the database and Temporal answer, the workers check does not.
    const before = await readyz();
    expect(before.code).toBe(503);
    expect(before.retryAfter).toBe('5');
    expect(before.body.checks.database.status).toBe('ok');
    expect(before.body.checks.temporal.status).toBe('ok');
    expect(before.body.checks.workers).toMatchObject({ status: 'down' });
    expect(before.body.checks.database.ms).toBeGreaterThanOrEqual(0);

    // A short lease, so the node's heartbeat (which publishes its provider circuits) comes every second.
    const provider = { ...fleet.providerEnv() };
    const first = workers.start({ NODE_ID: 'ready-1', NODE_LEASE_MS: '3000', ...provider });
    const ready = await waitFor(readyz, (r) => r.code === 200, 90_000, 'ready with a worker');
    expect(ready.body.status).toBe('ready');
    expect(ready.body.queues.map((q) => `${q.queue}/${q.type}`)).toEqual(expect.arrayContaining([`${fleet.stack().config.TASK_QUEUE}/workflow`, `${fleet.stack().config.TASK_QUEUE}/activity`, `${fleet.stack().config.TASK_QUEUE}.llm.openai/activity`]));
    expect(ready.body.queues.every((q) => q.pollers >= 1)).toBe(true);
    expect(ready.body.nodes.map((n) => n.id)).toEqual(['ready-1']);

    // A provider failing again and again opens its circuit on that node: readiness shows it (and stays ready).
    fake.respond = () => ({ status: 500, body: { error: { message: 'upstream down' } } });
    const agents = agentClient(fleet.stack());
    const a = await agents.spawn({ name: 'unlucky', model: 'openai:gpt-4o-mini', input: 'hello' });
    const open = await waitFor(readyz, (r) => r.body.nodes[0]?.providers.openai === 'open', 90_000, 'the openai circuit to open');
    expect(open.code).toBe(200);
    // GET /nodes says the same per node.
    const listed = (await (await rootFetch(`${fleet.stack().apiUrl}/nodes`)).json()) as { nodes: Array<{ id: string; capabilities: { providers?: Record<string, string> } }> };
    expect(listed.nodes.find((n) => n.id === 'ready-1')?.capabilities.providers?.openai).toBe('open');
    await agents.post(`/agents/${a.id}/kill`, {});
    fake.respond = undefined;

    // The worker stops: unready within seconds (it deregisters), ready again when one comes back.
    await first.stop();
    const gone = await waitFor(readyz, (r) => r.code === 503, 20_000, 'unready once the worker stopped');
    expect(gone.body.checks.workers.detail).toContain('no live node');
    workers.start({ NODE_ID: 'ready-2', NODE_LEASE_MS: '3000', ...provider });
    const back = await waitFor(readyz, (r) => r.code === 200, 90_000, 'ready again');
    expect(back.body.nodes.map((n) => n.id)).toEqual(['ready-2']);
  });
});
