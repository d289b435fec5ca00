/**
 * A property-based fuzz over every route in /openapi.json (fast-check): path parameters, query
 * values and JSON bodies generated from each operation's schemas and then broken in every way a
 * hostile client would, each sent with one of four credentials in turn: none, a forged key, another
 * tenant's key, a valid root key. The property: no answer is a 5xx, every error is a problem body,
 * every request is answered (none stalls the process); without a valid key nothing but a public route
 * answers (401), and another tenant's key never gets a 2xx on this tenant's rows. With
 * FUZZ_WRITE_RESULTS=1 (bench:all) the figures go to bench/results/fuzz.json.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import fc from 'fast-check';
import { operationsOf, requestsFor, type FuzzRequest, type Operation } from './support/openapi-fuzz';
import { useStack } from './support/suite';
import { writeResult } from '../bench/results-file';
import { rootFetch, TEST_ROOT_KEY, withKey } from './support/keys';

setDefaultTimeout(600_000);

const suite = useStack({ database: 'postgres' });
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 100);
let operations: Operation[] = [];
const knownIds: string[] = [];
const failures: Array<{ request: FuzzRequest; status: number; body: string }> = [];
let sent = 0;
const CREDENTIALS = ['none', 'forged', 'other-tenant', 'root'] as const;
type Credential = (typeof CREDENTIALS)[number];
const keys: Record<Credential, string | undefined> = { none: undefined, forged: `aok_testroot0000_${'f'.repeat(43)}`, 'other-tenant': undefined, root: TEST_ROOT_KEY };
/** Ids of the default tenant's rows: another tenant's key must never get a 2xx naming one. */
const tenantIds: string[] = [];
const byCredential: Record<Credential, Record<string, number>> = { none: {}, forged: {}, 'other-tenant': {}, root: {} };

beforeAll(async () => {
  const waiting = await suite.agents.spawn({ name: 'fuzz-waiting', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"c","text":"t"}' });
  await suite.agents.until(waiting.id, (v) => v.pendingApproval !== null, 'pending approval');
  const done = await suite.agents.spawn({ name: 'fuzz-done', model: 'scripted:2' });
  await suite.agents.settle(done.id);
  const memory = (await (await suite.agents.post(`/agents/${done.id}/memories`, { scope: 'long', key: 'k', content: 'c' })).json()) as { id: string };
  const checkpoints = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${done.id}/checkpoints`)).json()) as { checkpoints: Array<{ id: string }> };
  knownIds.push(waiting.id, done.id, memory.id, suite.stack.nodeId!, 'default', 'crew-a', ...checkpoints.checkpoints.map((c) => c.id));
  tenantIds.push(waiting.id, done.id, memory.id);
  const other = (await (await suite.agents.post('/keys', { name: 'fuzz-other', tenant: 'globex', scopes: ['operator', 'approver'] })).json()) as { key: string };
  keys['other-tenant'] = other.key;
  operations = operationsOf((await (await rootFetch(`${suite.stack.apiUrl}/openapi.json`)).json()) as Parameters<typeof operationsOf>[0]);
});

async function send(r: FuzzRequest, op: Operation): Promise<void> {
  const credential = CREDENTIALS[sent % CREDENTIALS.length]!;
  sent++;
  const init: RequestInit = { method: r.method, headers: r.contentType ? { 'content-type': r.contentType } : {}, body: r.body, signal: AbortSignal.timeout(30_000) };
  const key = keys[credential];
  const res = await fetch(`${suite.stack.apiUrl}${r.path}`, key ? withKey(init, key) : init);
  byCredential[credential][String(res.status)] = (byCredential[credential][String(res.status)] ?? 0) + 1;
  const streaming = (res.headers.get('content-type') ?? '').includes('text/event-stream');
  const body = streaming ? '' : await res.text();
  if (streaming) await res.body?.cancel();
  if (res.status >= 500) failures.push({ request: { ...r, body: r.body?.slice(0, 300) }, status: res.status, body: body.slice(0, 300) });
  // The MCP endpoint answers in JSON-RPC, as the protocol requires (its errors are JSON-RPC errors); the
  // guard in front of it (no key, a wrong scope) still answers with problem bodies.
  const jsonRpc = r.path === '/mcp' && /"jsonrpc":"2\.0"/.test(body);
  if (res.status >= 400 && !jsonRpc && !(res.headers.get('content-type') ?? '').includes('application/problem+json')) {
    failures.push({ request: { ...r, body: r.body?.slice(0, 300) }, status: res.status, body: `not a problem body: ${body.slice(0, 200)}` });
  }
  // Without a valid key, a non-public route answers 401 (or 404 when the mangled path matches no route at all).
  const noRoute = res.status === 404 && body.includes('no route for');
  if ((credential === 'none' || credential === 'forged') && op.scope !== 'public' && res.status !== 401 && !noRoute) {
    failures.push({ request: { ...r, body: r.body?.slice(0, 300) }, status: res.status, body: `answered without a valid key (${credential}): ${body.slice(0, 200)}` });
  }
  const namesTheirs = tenantIds.some((id) => r.path.includes(encodeURIComponent(id))) || r.path.startsWith('/tenants/default/');
  if (credential === 'other-tenant' && namesTheirs && res.status < 300) {
    failures.push({ request: { ...r, body: r.body?.slice(0, 300) }, status: res.status, body: `another tenant's key reached this tenant's row: ${body.slice(0, 200)}` });
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
          await send(r, op);
        }),
        { numRuns: RUNS_PER_OPERATION, seed: Number(process.env.FUZZ_SEED ?? 20261129) },
      );
    }
    expect(sent).toBeGreaterThanOrEqual(operations.length * RUNS_PER_OPERATION);
    const fiveXX = Object.values(byCredential).reduce((n, statuses) => n + Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((a, [, c]) => a + c, 0), 0);
    // Figures for bench/REPORT.md when run as a benchmark (`bun run bench:all`), never from a plain `bun test`.
    if (process.env.FUZZ_WRITE_RESULTS === '1') writeResult('fuzz', { seed: Number(process.env.FUZZ_SEED ?? 20261129), operations: operations.length, runsPerOperation: RUNS_PER_OPERATION, requests: sent, answers5xx: fiveXX, statusesByCredential: byCredential });
    // Every credential was tried, and the valid key got past authentication.
    for (const c of CREDENTIALS) expect(Object.values(byCredential[c]).reduce((a, b) => a + b, 0)).toBeGreaterThan(operations.length);
    expect(byCredential.root['200'] ?? 0).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
