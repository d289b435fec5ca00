import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { rootFetch } from './support/keys';
import { useStack } from './support/suite';

setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });

type Sse = { id: string; event: string; data: { agentId: string; step: number } & Record<string, unknown> };

/** Reads SSE events from a response until `done` says stop (or `ms` pass); then closes it. */
async function readUntil(res: Response, done: (events: Sse[]) => boolean, ms = 30_000): Promise<Sse[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: Sse[] = [];
  let buffer = '';
  const deadline = Date.now() + ms;
  while (!done(events) && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - Date.now())).then(() => null)]);
    if (!next || next.done) break;
    buffer += decoder.decode(next.value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim();
      const data = field('data');
      if (data) events.push({ id: field('id')!, event: field('event')!, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe('the tenant-wide event stream', () => {
  test('GET /events?types= streams only the matching types of every agent of the tenant, names each agent, and resumes from Last-Event-ID', async () => {
    const url = `${suite.stack.apiUrl}/events?types=agent.*,tool.completed`;
    const res = await rootFetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    // Another tenant's stream, open at the same time, sees none of it.
    const otherKey = ((await (await suite.agents.post('/keys', { name: 'events-other', tenant: 'umbrella', scopes: ['viewer'] })).json()) as { key: string }).key;
    const other = await fetch(`${suite.stack.apiUrl}/events`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(other.status).toBe(200);

    const a = await suite.agents.spawn({ name: 'calc', model: 'scripted:3', tools: ['calculator'], input: 'CALL calculator {"expression":"6*7"}' });
    const b = await suite.agents.spawn({ name: 'plain', model: 'scripted:2', input: 'hello' });
    const finished = (events: Sse[]) => [a.id, b.id].every((id) => events.some((e) => e.event === 'agent.finished' && e.data.agentId === id));
    const events = await readUntil(res, finished);
    expect(finished(events)).toBe(true);
    // Only the types asked for; each names its agent; ids rise.
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(['tool.completed', 'agent.finished']));
    expect(events.find((e) => e.event === 'tool.completed')!.data.agentId).toBe(a.id);
    const ids = events.map((e) => Number(e.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(await readUntil(other, (e) => e.length > 0, 1_500)).toEqual([]);

    // Resumed after the first event: the rest of the backlog, the same events.
    const resumed = await readUntil(await rootFetch(url, { headers: { 'last-event-id': events[0]!.id } }), (e) => e.length >= events.length - 1, 10_000);
    expect(resumed.map((e) => e.id)).toEqual(events.slice(1).map((e) => e.id));

    // A pattern that is no pattern is a 400 with a sentence.
    const bad = await rootFetch(`${suite.stack.apiUrl}/events?types=agent.**`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('not an event type pattern');
  });
});
