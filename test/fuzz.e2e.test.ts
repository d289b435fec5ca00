/**
 * A property-based fuzz over every route in /openapi.json (fast-check): path parameters, query
 * values and JSON bodies generated from each operation's schemas and then broken in every way a
 * hostile client would. The property: no answer is a 5xx, every error is a problem body, and every
 * request is answered (none stalls the process).
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import fc from 'fast-check';
import { operationsOf, requestsFor, type FuzzRequest, type Operation } from './support/openapi-fuzz';
import { useStack } from './support/suite';
import { rootFetch } from './support/keys';

setDefaultTimeout(600_000);

const suite = useStack({ database: 'postgres' });
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 100);
let operations: Operation[] = [];
const knownIds: string[] = [];
const failures: Array<{ request: FuzzRequest; status: number; body: string }> = [];
let sent = 0;

beforeAll(async () => {
  const waiting = await suite.agents.spawn({ name: 'fuzz-waiting', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"c","text":"t"}' });
  await suite.agents.until(waiting.id, (v) => v.pendingApproval !== null, 'pending approval');
  const done = await suite.agents.spawn({ name: 'fuzz-done', model: 'scripted:2' });
  await suite.agents.settle(done.id);
  const memory = (await (await suite.agents.post(`/agents/${done.id}/memories`, { scope: 'long', key: 'k', content: 'c' })).json()) as { id: string };
  const checkpoints = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${done.id}/checkpoints`)).json()) as { checkpoints: Array<{ id: string }> };
  knownIds.push(waiting.id, done.id, memory.id, suite.stack.nodeId!, 'default', 'crew-a', ...checkpoints.checkpoints.map((c) => c.id));
  operations = operationsOf((await (await rootFetch(`${suite.stack.apiUrl}/openapi.json`)).json()) as Parameters<typeof operationsOf>[0]);
});

async function send(r: FuzzRequest): Promise<void> {
  sent++;
  const res = await rootFetch(`${suite.stack.apiUrl}${r.path}`, {
    method: r.method,
    headers: r.contentType ? { 'content-type': r.contentType } : {},
    body: r.body,
    signal: AbortSignal.timeout(30_000),
  });
  const streaming = (res.headers.get('content-type') ?? '').includes('text/event-stream');
  const body = streaming ? '' : await res.text();
  if (streaming) await res.body?.cancel();
  if (res.status >= 500) failures.push({ request: { ...r, body: r.body?.slice(0, 300) }, status: res.status, body: body.slice(0, 300) });
  if (res.status >= 400 && !(res.headers.get('content-type') ?? '').includes('application/problem+json')) {
    failures.push({ request: { ...r, body: r.body?.slice(0, 300) }, status: res.status, body: `not a problem body: ${body.slice(0, 200)}` });
  }
}

describe('fuzzing every route in /openapi.json', () => {
  test('the document lists the routes, health and the event stream included', () => {
    const routes = operations.map((o) => `${o.method} ${o.path}`);
    expect(routes.length).toBeGreaterThan(25);
    expect(routes).toContain('GET /health');
    expect(routes).toContain('GET /agents/{id}/events');
    expect(routes).toContain('POST /agents');
  });

  test('no request gets a 5xx, and every error is a problem body', async () => {
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(requestsFor(op, knownIds), async (r) => {
          await send(r);
        }),
        { numRuns: RUNS_PER_OPERATION, seed: Number(process.env.FUZZ_SEED ?? 20261129) },
      );
    }
    expect(sent).toBeGreaterThanOrEqual(operations.length * RUNS_PER_OPERATION);
    expect(failures).toEqual([]);
  });
});
