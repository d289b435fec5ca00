/**
 * Limits and sign-in from an identity provider (issue 11.1, 11.5), on a stack configured with small
 * caps: per-key request rate (429 + Retry-After), per-tenant live agents, open event streams and USD
 * per day (refused at spawn, and an agent that reaches it mid-run suspends), and JWTs verified
 * against a JWKS with the algorithm pinned (HS256-with-the-public-key, `none`, a wrong issuer and an
 * expired token are all refused).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { sign } from 'hono/jwt';
import { openAiReply, openAiToolCall, startFakeLlm } from './support/fake-llm';
import { TEST_ROOT_KEY, withKey } from './support/keys';
import { inspectingClient } from './support/stack';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';

setDefaultTimeout(120_000);

// The identity provider: an RSA key pair whose public half is served as a JWKS.
const pair = (await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
const publicJwk = { ...((await crypto.subtle.exportKey('jwk', pair.publicKey)) as Record<string, unknown>), kid: 'idp-1', alg: 'RS256', use: 'sig' };
const privateJwk = { ...((await crypto.subtle.exportKey('jwk', pair.privateKey)) as Record<string, unknown>), kid: 'idp-1', alg: 'RS256' };
let jwksFetches = 0;
const idp = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: () => {
    jwksFetches++;
    return Response.json({ keys: [publicJwk] });
  },
});
const ISSUER = 'https://idp.example';
const fake = startFakeLlm(openAiReply('an answer'));
afterAll(async () => {
  await idp.stop(true);
  await fake.stop();
});

const suite = useStack({
  database: 'postgres',
  env: {
    AOS_RATE_LIMIT_PER_MINUTE: '600',
    TENANT_MAX_LIVE_AGENTS: '2',
    TENANT_MAX_EVENT_STREAMS: '1',
    AOS_JWT_JWKS_URL: `http://127.0.0.1:${idp.port}/jwks.json`,
    AOS_JWT_ISSUER: ISSUER,
    AOS_JWT_AUDIENCE: 'aok',
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: 'sk-test',
  },
});
const url = (path: string) => `${suite.stack.apiUrl}${path}`;
const post = (path: string, body: unknown, key: string) => fetch(url(path), withKey({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, key));

async function newKey(tenant: string, scopes: string[]): Promise<string> {
  const res = await post('/keys', { name: tenant, tenant, scopes }, TEST_ROOT_KEY);
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

describe('limits', () => {
  test('a key past its rate gets 429 with Retry-After; another key is not slowed', async () => {
    const key = await newKey('rated', ['viewer']);
    let allowed = 0;
    let refused: Response | undefined;
    const started = performance.now();
    while (!refused && allowed < 2_000) {
      const res = await fetch(url('/whoami'), withKey({}, key));
      if (res.status === 429) refused = res;
      else if (res.status === 200) allowed++;
      else throw new Error(`unexpected ${res.status}`);
    }
    // The burst is the per-minute rate (600), plus what refilled while it was sent (10 a second).
    expect(allowed).toBeGreaterThanOrEqual(600);
    expect(allowed).toBeLessThanOrEqual(600 + Math.ceil((performance.now() - started) / 100) + 1);
    const retryAfter = refused!.headers.get('retry-after');
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await fetch(url('/whoami'), withKey({}, await newKey('rated', ['viewer'])))).status).toBe(200);
  });

  test('a tenant at its cap of live agents is refused a third (429), and may spawn again once one ends', async () => {
    const key = await newKey('busy', ['operator']);
    const spawn = () => post('/agents', { name: 'busy', role: 'r', goal: 'g', input: 'i', model: 'scripted:30:400', constraints: { maxSteps: 30 } }, key);
    const first = (await (await spawn()).json()) as { id: string };
    expect((await spawn()).status).toBe(201);
    const third = await spawn();
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).not.toBeNull();
    expect(((await third.json()) as { detail: string }).detail).toContain('TENANT_MAX_LIVE_AGENTS');
    // Every door that stores an agent checks the same cap: a fork too.
    expect((await post(`/agents/${first.id}/fork`, {}, key)).status).toBe(429);
    // Concurrent spawns cannot overshoot it (the count and the insert are serialised per tenant).
    const other = await newKey('racing', ['operator']);
    const race = await Promise.all(Array.from({ length: 6 }, () => post('/agents', { name: 'racer', role: 'r', goal: 'g', input: 'i', model: 'scripted:30:400', constraints: { maxSteps: 30 } }, other)));
    expect(race.filter((r) => r.status === 201)).toHaveLength(2);
    expect(race.filter((r) => r.status === 429)).toHaveLength(4);
    expect((await post(`/agents/${first.id}/kill`, {}, key)).status).toBe(202);
    await suite.agents.settle(first.id);
    expect((await spawn()).status).toBe(201);
  });

  test('at the cap, a foreach starts what fits and the rest when room frees (it never deadlocks holding prepared agents)', async () => {
    const key = await newKey('fanout', ['operator']);
    const res = await post('/batches', { name: 'capped', concurrency: 4, template: { role: 'r', goal: 'g', input: 'hello {{item}}', model: 'scripted:1:300' }, inputs: ['a', 'b', 'c', 'd', 'e', 'f'] }, key);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const done = await waitFor(async () => (await (await fetch(url(`/batches/${id}`), withKey({}, key))).json()) as { status: string; nodes: Array<{ items: { completed: number } | null }> }, (v) => v.status !== 'running', 60_000, 'the batch to finish');
    expect(done.status).toBe('completed');
    expect(done.nodes[0]!.items!.completed).toBe(6);
  });

  test('at the cap, spawn_agent is refused and the loan goes back to the caller', async () => {
    const key = await newKey('lender', ['operator']);
    const sub = JSON.stringify({ name: 'helper', role: 'r', goal: 'g', input: 'help', maxTotalTokens: 5_000 });
    const filler = (await (await post('/agents', { name: 'filler', role: 'r', goal: 'g', input: 'i', model: 'scripted:30:400', constraints: { maxSteps: 30 } }, key)).json()) as { id: string };
    const parent = (await (await post('/agents', { name: 'lender', role: 'r', goal: 'g', input: `CALL spawn_agent ${sub}`, model: 'scripted:2', tools: ['spawn_agent'], constraints: { maxTotalTokens: 50_000 } }, key)).json()) as { id: string };
    await suite.agents.settle(parent.id);
    const calls = (await (await fetch(url(`/agents/${parent.id}/tool-calls`), withKey({}, key))).json()) as { toolCalls: Array<{ tool: string; result: string }> };
    expect(calls.toolCalls.find((t) => t.tool === 'spawn_agent')?.result).toContain('TENANT_MAX_LIVE_AGENTS');
    const state = await inspectingClient(suite.stack).workflow.getHandle(parent.id).query<{ childReservations: Record<string, unknown> }>('state');
    expect(state.childReservations).toEqual({});
    await post(`/agents/${filler.id}/kill`, {}, key);
  });

  test('a tenant holding its cap of open event streams is refused another until one closes', async () => {
    const key = await newKey('watcher', ['operator']);
    const { id } = (await (await post('/agents', { name: 'watched', role: 'r', goal: 'g', input: 'i', model: 'scripted:30:400', constraints: { maxSteps: 30 } }, key)).json()) as { id: string };
    const first = new AbortController();
    const open = await fetch(url(`/agents/${id}/events`), withKey({ signal: first.signal }, key));
    expect(open.status).toBe(200);
    const reader = open.body!.getReader();
    await reader.read();
    const second = await fetch(url(`/agents/${id}/events`), withKey({}, key));
    expect(second.status).toBe(429);
    first.abort();
    await reader.cancel().catch(() => undefined);
    let third: Response | undefined;
    for (let i = 0; i < 50 && third?.status !== 200; i++) {
      await Bun.sleep(100);
      third = await fetch(url(`/agents/${id}/events`), withKey({ signal: AbortSignal.timeout(2_000) }, key)).catch(() => undefined);
    }
    expect(third?.status).toBe(200);
    await third?.body?.cancel();
    await post(`/agents/${id}/kill`, {}, key);
  });

});

describe('a tenant’s USD per day (a stack whose cap is 0.00001 USD)', () => {
  const spend = useStack({ database: 'postgres', env: { TENANT_MAX_COST_USD_PER_DAY: '0.00001', OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-test' } });
  const spendPost = (path: string, body: unknown, key: string) => fetch(`${spend.stack.apiUrl}${path}`, withKey({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, key));
  const spendKey = async (tenant: string, scopes: string[]) => ((await (await spendPost('/keys', { name: tenant, tenant, scopes }, TEST_ROOT_KEY)).json()) as { key: string }).key;

  test('a tenant that spent its USD for the day: a running agent suspends before its next model call, and spawns are refused', async () => {
    const key = await spendKey('spender', ['operator']);
    // Each step the model asks for the calculator, so the agent keeps going until the cap stops it.
    fake.respond = () => openAiToolCall('calculator', { expression: '1+1' });
    const res = await spendPost('/agents', { name: 'spender', role: 'r', goal: 'g', input: 'i', model: 'openai:gpt-4o-mini', tools: ['calculator'], constraints: { maxSteps: 6 } }, key);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const held = await spend.agents.until(id, (v) => v.hold === 'budget_exhausted', 'the tenant cap to suspend it');
    // 11 + 7 tokens a call at gpt-4o-mini prices: the second call passes 0.00001 USD, the third is never made.
    expect(held.step).toBe(2);
    expect(fake.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(2);
    const refused = await spendPost('/agents', { name: 'more', role: 'r', goal: 'g', input: 'i' }, key);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toContain('TENANT_MAX_COST_USD_PER_DAY');
    fake.respond = undefined;
    await spendPost(`/agents/${id}/kill`, {}, key);
  });
});

describe('sign-in with a JWT from an identity provider', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', iss: ISSUER, aud: 'aok', tenant: 'jwtco', scope: 'operator root', exp: now() + 300, iat: now(), ...extra });
  const rs256 = (extra?: Record<string, unknown>) => sign(claims(extra), privateJwk as never, 'RS256');
  const whoami = (token: string) => fetch(url('/whoami'), { headers: { authorization: `Bearer ${token}` } });

  test('a token signed by the provider acts for its tenant with its scopes (never root)', async () => {
    const token = await rs256();
    const me = (await (await whoami(token)).json()) as { actor: string; tenant: string; scopes: string[] };
    expect(me).toMatchObject({ actor: 'jwt:alice', tenant: 'jwtco', scopes: ['operator'] });
    const spawned = await fetch(url('/agents'), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'from-jwt', role: 'r', goal: 'g', input: 'i', model: 'scripted:1' }) });
    expect(spawned.status).toBe(201);
    expect(((await spawned.json()) as { tenant: string }).tenant).toBe('jwtco');
  });

  test('algorithm confusion, `none`, a tampered tenant, a wrong issuer or audience, an expired token, one that never expires and one without a tenant are refused', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const hsWithPublicKey = await sign(claims(), JSON.stringify(publicJwk), 'HS256');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    const tampered = (await rs256()).replace(/\.([^.]+)\./, (_, p: string) => `.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), tenant: 'victim' })}.`);
    const bad = [hsWithPublicKey, none, tampered, await rs256({ iss: 'https://evil.example' }), await rs256({ aud: 'another-app' }), await rs256({ exp: now() - 10 }), await rs256({ exp: undefined }), await rs256({ tenant: undefined })];
    for (const token of bad) expect((await whoami(token)).status).toBe(401);
    // Forged tokens naming unknown key ids do not each make the kernel call the identity provider.
    const before = jwksFetches;
    for (let i = 0; i < 20; i++) expect((await whoami(await sign(claims(), { ...privateJwk, kid: `forged-${i}` } as never, 'RS256'))).status).toBe(401);
    expect(jwksFetches - before).toBeLessThanOrEqual(1);
  });
});
