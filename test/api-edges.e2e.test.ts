/**
 * The API's edges: hostile strings, refused requests that must store nothing, long quiet SSE
 * streams and bad cursors, one view of an agent, bounded work per request, and logs without user
 * content. Each test was written to fail on the code before it.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { count, eq } from 'drizzle-orm';
import { agents, contextPages } from '../db/schema';
import { useStack } from './support/suite';
import { rootFetch } from './support/keys';

setDefaultTimeout(120_000);

const logLines: string[] = [];
const suite = useStack({ database: 'postgres', logLevel: 'debug', logSink: (line) => logLines.push(line) });
const api = () => suite.stack.apiUrl!;
const MARKER = `user-content-${crypto.randomUUID()}`;

/** Sends raw JSON text (so escapes like \u0000 and lone surrogates reach the server as written). */
function rawPost(path: string, json: string, method = 'POST') {
  return rootFetch(`${api()}${path}`, { method, headers: { 'content-type': 'application/json' }, body: json });
}

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { status: number; detail: string; issues?: Array<{ path: Array<string | number> }> };
}

async function waitingAgent(name: string) {
  const a = await suite.agents.spawn({ name, model: 'scripted:2', tools: ['publish'], input: `CALL publish {"channel":"c","text":"${MARKER}"}` });
  return suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'pending approval');
}

const agentCount = async () => (await suite.stack.db.db.select({ n: count() }).from(agents))[0]!.n;

describe('strings Postgres cannot store are refused at the edge', () => {
  const bodies = [
    ['a NUL byte', String.raw`{"name":"nul","role":"r","goal":"g","input":"a\u0000b"}`],
    ['an unpaired high surrogate', String.raw`{"name":"sur","role":"r","goal":"g","input":"a\ud800b"}`],
    ['an unpaired low surrogate in a nested field', String.raw`{"name":"sur","role":"r","goal":"g","input":"i","constraints":{"maxSteps":2},"tools":["\udc00"]}`],
  ] as const;
  for (const [what, json] of bodies) {
    test(`POST /agents with ${what} is a 400 naming the field`, async () => {
      const before = await agentCount();
      const res = await rawPost('/agents', json);
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.detail).toMatch(/NUL|surrogate|UTF-16/);
      expect(body.issues?.[0]?.path.length).toBeGreaterThan(0);
      expect(await agentCount()).toBe(before);
    });
  }

  test('a NUL or lone surrogate in a path or query parameter is a 400', async () => {
    for (const path of ['/agents/a%00b', '/agents/%ED%A0%80', '/agents/a%00b/pages', '/memories/m%00/versions', '/agents?limit=1%00', '/tenants/%00/usage']) {
      const res = await rootFetch(`${api()}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
  });

  test('every JSON route refuses NUL in its body with a 400, never a 500', async () => {
    const a = await waitingAgent('nul-routes');
    const routes: Array<[string, string, string]> = [
      ['POST', `/agents/${a.id}/messages`, String.raw`{"text":"x\u0000"}`],
      ['POST', `/agents/${a.id}/pause`, String.raw`{"reason":"\u0000"}`],
      ['POST', `/agents/${a.id}/kill`, String.raw`{"actor":"\u0000"}`],
      ['POST', `/agents/${a.id}/approvals`, String.raw`{"callId":"\u0000","approved":true,"approver":"x"}`],
      ['POST', `/agents/${a.id}/memories`, String.raw`{"scope":"long","key":"k","content":"\u0000"}`],
      ['POST', '/crews/c1/memories', String.raw`{"scope":"long","key":"\u0000","content":"c"}`],
      ['POST', `/agents/${a.id}/fork`, String.raw`{"input":"\u0000"}`],
      ['POST', `/agents/${a.id}/migrate`, String.raw`{"node":"\u0000"}`],
      ['POST', `/nodes/x/drain`, String.raw`{"actor":"\u0000"}`],
      ['POST', `/agents/${a.id}/rewind`, String.raw`{"checkpointId":"\ud800"}`],
    ];
    for (const [method, path, json] of routes) {
      const res = await rawPost(path, json, method);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
    await suite.agents.post(`/agents/${a.id}/kill`, {});
  });

  test('a fork with a NUL input leaves no ghost agent behind', async () => {
    const a = await suite.agents.spawn({ name: 'fork-src', model: 'scripted:1' });
    await suite.agents.settle(a.id);
    const before = await agentCount();
    const res = await rawPost(`/agents/${a.id}/fork`, String.raw`{"input":"bad\u0000input"}`);
    expect(res.status).toBe(400);
    expect(await agentCount()).toBe(before);
  });

  test('a memory correction the database would refuse is a 400 without SQL, parameters or the content', async () => {
    const a = await suite.agents.spawn({ name: 'mem-leak', model: 'scripted:1' });
    const created = await suite.agents.post(`/agents/${a.id}/memories`, { scope: 'long', key: 'k', content: 'v1' });
    const memory = (await created.json()) as { id: string };
    const res = await rawPost(`/memories/${memory.id}/feedback`, JSON.stringify({ mode: 'replace', content: `${MARKER}\u0000`, actor: 'a' }));
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toMatch(/select |insert into|params:|Failed query/i);
    expect(text).not.toContain(MARKER);
  });

  test('correcting a version that was already corrected is a 409 that names the newer one', async () => {
    const a = await suite.agents.spawn({ name: 'mem-twice', model: 'scripted:1' });
    const memory = (await (await suite.agents.post(`/agents/${a.id}/memories`, { scope: 'long', key: 'k', content: 'v1' })).json()) as { id: string };
    const [first, second] = await Promise.all([
      suite.agents.post(`/memories/${memory.id}/feedback`, { mode: 'replace', content: 'v2', actor: 'a' }),
      suite.agents.post(`/memories/${memory.id}/feedback`, { mode: 'replace', content: 'v2b', actor: 'b' }),
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    const refused = first.status === 409 ? first : second;
    expect(((await refused.json()) as { detail: string }).detail).toContain('already corrected by');
  });
});

describe('a refused request stores nothing', () => {
  test('a message to a finished agent is a 409 and no page is written', async () => {
    const a = await suite.agents.spawn({ name: 'done-msg', model: 'scripted:1' });
    await suite.agents.settle(a.id);
    const before = await suite.stack.db.db.select().from(contextPages).where(eq(contextPages.agentId, a.id));
    const res = await suite.agents.post(`/agents/${a.id}/messages`, { text: MARKER });
    expect(res.status).toBe(409);
    const after = await suite.stack.db.db.select().from(contextPages).where(eq(contextPages.agentId, a.id));
    expect(after.length).toBe(before.length);
  });
});

describe('request size', () => {
  test('a body over 8 MiB is a 413 problem, and nothing is stored', async () => {
    const before = await suite.stack.db.db.select().from(agents);
    const res = await suite.agents.post('/agents', { name: 'huge', role: 'r', goal: 'g', input: 'x'.repeat(9 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { detail: string }).detail).toContain('larger than 8 MiB');
    expect((await suite.stack.db.db.select().from(agents)).length).toBe(before.length);
  });
});

describe('Server-Sent Events', () => {
  test('a stream on a waiting agent stays open through long quiet spells, with keep-alive comments', async () => {
    const a = await waitingAgent('sse-quiet');
    const controller = new AbortController();
    const res = await rootFetch(`${api()}/agents/${a.id}/events`, { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 13_000;
    let ended = false;
    while (Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - Date.now())).then(() => null)]);
      if (chunk === null) break;
      if (chunk.done) {
        ended = true;
        break;
      }
      text += decoder.decode(chunk.value);
    }
    expect(ended).toBe(false);
    expect(text).toMatch(/^: keep-alive/m);
    controller.abort();
    await suite.agents.post(`/agents/${a.id}/kill`, {});
  });

  test('a cursor past the end answers with headers at once, then waits', async () => {
    const a = await waitingAgent('sse-cursor');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('no headers within 5 s')), 5_000);
    const res = await rootFetch(`${api()}/agents/${a.id}/events`, { headers: { 'last-event-id': '999999999' }, signal: controller.signal });
    clearTimeout(timer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    await suite.agents.post(`/agents/${a.id}/kill`, {});
  });

  test('a cursor that is not a whole non-negative number is a 400', async () => {
    const a = await suite.agents.spawn({ name: 'sse-bad', model: 'scripted:1' });
    for (const id of ['1e308', '-1', 'abc', '1.5', '99999999999999999999']) {
      const res = await rootFetch(`${api()}/agents/${a.id}/events`, { headers: { 'last-event-id': id } });
      expect({ id, status: res.status }).toEqual({ id, status: 400 });
    }
    const res = await rootFetch(`${api()}/agents/${a.id}/events?after=1e308`);
    expect(res.status).toBe(400);
  });
});

describe('one view of an agent', () => {
  test('GET /agents shows a live agent exactly as GET /agents/:id does', async () => {
    const a = await waitingAgent('one-view');
    const single = (await (await rootFetch(`${api()}/agents/${a.id}`)).json()) as { id: string; usage: { totalTokens: number } };
    const { agents: list } = (await (await rootFetch(`${api()}/agents?limit=50`)).json()) as { agents: Array<{ id: string }> };
    const listed = list.find((x) => x.id === a.id);
    expect(listed).toEqual(single);
    expect(single).toMatchObject({ status: 'waiting', hold: 'approval', error: null });
    expect(single.usage.totalTokens).toBeGreaterThan(0);
    await suite.agents.post(`/agents/${a.id}/kill`, {});
  });
});

describe('bounded work per request', () => {
  test('a 1,000,000-character message without word boundaries is taken at once, and /health answers meanwhile', async () => {
    const a = await waitingAgent('big-message');
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const text = Array.from({ length: 1_000_000 }, () => String.fromCharCode(0x4e00 + Math.floor(rnd() * 20_000))).join('');
    const message = rootFetch(`${api()}/agents/${a.id}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }), signal: AbortSignal.timeout(20_000) });
    await Bun.sleep(50);
    const health = await rootFetch(`${api()}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    expect((await message).status).toBe(202);
    await suite.agents.post(`/agents/${a.id}/kill`, {});
  });
});

describe('logs', () => {
  afterAll(() => {
    // Every request of this file was logged at debug; none may carry user content or grow without bound.
    expect(logLines.length).toBeGreaterThan(10);
    for (const line of logLines) {
      expect(line).not.toContain(MARKER);
      expect(line.length).toBeLessThan(8_192);
    }
  });

  test('a large failing request logs a bounded line without its content', async () => {
    const body = JSON.stringify({ name: 'huge', role: 'r', goal: 'g', input: `${MARKER}${'x'.repeat(900_000)}\u0000` });
    const res = await rawPost('/agents', body);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(4_096);
    expect(text).not.toContain(MARKER);
  });
});
