/**
 * Encrypted histories (issue 11.6): the AES-256-GCM payload codec with key rotation, failures encoded
 * too, no user text in a raw history, the codec server behind the same auth with CORS for the
 * Temporal UI — and, in headless Chromium (Debian's), the real Temporal UI showing a workflow's
 * summary to a browser holding a codec session and to nobody else.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import puppeteer, { type Browser } from 'puppeteer-core';
import { resolveTemporalBinary } from '../infra/temporal/binary';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../infra/logger';
import { AesGcmCodec, parseCodecKeys } from '../infra/temporal/codec';
import { codecKeyFile, resolveCodecKeys } from '../infra/temporal/codec-keys';
import { startFakeLlm } from './support/fake-llm';
import { TEST_ROOT_KEY, withKey } from './support/keys';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';

setDefaultTimeout(180_000);

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const utf8 = (s: string) => new TextEncoder().encode(s);
const plain = (text: string): Payload => ({ metadata: { encoding: utf8('json/plain') }, data: utf8(JSON.stringify(text)) });
const textOf = (p: Payload) => new TextDecoder().decode(p.data!);

/** Everything a reader of raw protobuf JSON sees: the JSON, plus every bytes field (data, metadata) decoded from base64. */
function readable(value: unknown): string {
  const json = JSON.stringify(value);
  const decoded = [...json.matchAll(/"([A-Za-z0-9+/]{4,}={0,2})"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('latin1'));
  return `${json}\n${decoded.join('\n')}`;
}

describe('the codec', () => {
  test('round trip; a rotated key set still decodes old payloads; an unknown key or a flipped bit is refused', async () => {
    const before = new AesGcmCodec(parseCodecKeys(`old:${key(1)}`));
    const [sealed] = await before.encode([plain('the secret goal')]);
    expect(textOf(sealed!)).not.toContain('secret');
    expect(new TextDecoder().decode(sealed!.metadata!['encryption-key-id'])).toBe('old');
    const rotated = new AesGcmCodec(parseCodecKeys(`new:${key(2)},old:${key(1)}`));
    expect(textOf((await rotated.decode([sealed!]))[0]!)).toBe('"the secret goal"');
    const [fresh] = await rotated.encode([plain('x')]);
    expect(new TextDecoder().decode(fresh!.metadata!['encryption-key-id'])).toBe('new');
    await expect(new AesGcmCodec(parseCodecKeys(`new:${key(2)}`)).decode([sealed!])).rejects.toThrow('which this process does not hold');
    const tampered = { ...sealed!, data: new Uint8Array(sealed!.data!) };
    tampered.data[20] = tampered.data[20]! ^ 1;
    await expect(rotated.decode([tampered])).rejects.toThrow();
    // Payloads written before encryption was turned on still read.
    expect(textOf((await rotated.decode([plain('legacy')]))[0]!)).toBe('"legacy"');
    expect(() => parseCodecKeys('short:AAAA')).toThrow('needs 32');
  });

  test('no key: the embedded stack makes one (mode 0600) and reuses it; anything else refuses to start unless told to run unencrypted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aok-keys-'));
    const logger = createLogger('silent');
    const config = { AOS_CODEC_KEYS: undefined, AOS_PLAINTEXT_PAYLOADS: false, DATA_DIR: dir };
    expect(() => resolveCodecKeys(config, { create: false, logger })).toThrow('no payload encryption key');
    expect(resolveCodecKeys({ ...config, AOS_PLAINTEXT_PAYLOADS: true }, { create: false, logger })).toBeUndefined();
    const made = resolveCodecKeys(config, { create: true, logger })!;
    expect(statSync(codecKeyFile(config)).mode & 0o777).toBe(0o600);
    expect(resolveCodecKeys(config, { create: false, logger })!.activeKeyId).toBe(made.activeKeyId);
    rmSync(dir, { recursive: true, force: true });
  });
});

const fake = startFakeLlm();
afterAll(() => fake.stop());
const suite = useStack({ database: 'postgres', ui: true, env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-test' } });
let browser: Browser | undefined;
afterAll(() => browser?.close());

const GOAL = 'ZEBRA-GOAL find the hidden orchard';
const FAILURE = 'QUOKKA-FAILURE provider says no';

describe('encrypted histories', () => {
  test('a raw history holds no goal, summary, memo or failure text; the kernel still reads everything', async () => {
    fake.enqueue({ status: 401, body: { error: { message: FAILURE } } });
    const res = await fetch(`${suite.stack.apiUrl}/agents`, withKey({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'orchard', role: 'a finder', goal: GOAL, input: 'go', model: 'openai:gpt-4o-mini' }) }));
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const done = await suite.agents.settle(id);
    expect(done.status).toBe('failed');
    expect(done.error).toContain('QUOKKA-FAILURE');
    // A client without the key sees only ciphertext, in every event.
    const raw = new Client({ connection: suite.stack.client.connection, namespace: suite.stack.temporal.namespace });
    const history = readable(await raw.workflow.getHandle(id).fetchHistory());
    const described = readable(await raw.workflowService.describeWorkflowExecution({ namespace: suite.stack.temporal.namespace, execution: { workflowId: id } }));
    for (const text of [history, described]) {
      expect(text).toContain('binary/encrypted');
      for (const secret of ['ZEBRA', 'hidden orchard', 'QUOKKA', 'provider says no', 'orchard:']) expect(text).not.toContain(secret);
    }
    // The kernel's client decrypts: the summary reads back.
    expect(await (await suite.stack.client.workflow.getHandle(id).describe()).staticSummary()).toContain('ZEBRA-GOAL');
  });

  test('the temporal CLI reads payloads through the codec server with a root key, and only ciphertext without', async () => {
    fake.enqueue({ status: 401, body: { error: { message: 'WOMBAT-FAILURE refused' } } });
    const res = await fetch(`${suite.stack.apiUrl}/agents`, withKey({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cli-read', role: 'r', goal: 'g', input: 'go', model: 'openai:gpt-4o-mini' }) }));
    const { id } = (await res.json()) as { id: string };
    await suite.agents.settle(id);
    const show = async (extra: string[]) => {
      const proc = Bun.spawn([await resolveTemporalBinary(), 'workflow', 'show', '-w', id, '--address', suite.stack.temporal.address, '--namespace', suite.stack.temporal.namespace, '-o', 'json', ...extra], { stdout: 'pipe', stderr: 'pipe' });
      const [out, err] = [await new Response(proc.stdout).text(), await new Response(proc.stderr).text()];
      await proc.exited;
      return out + err;
    };
    const withCodec = await show(['--codec-endpoint', `${suite.stack.apiUrl}/codec`, '--codec-auth', `Bearer ${TEST_ROOT_KEY}`]);
    expect(readable(JSON.parse(withCodec.slice(withCodec.indexOf('{'))))).toContain('WOMBAT-FAILURE');
    expect(readable(await show([]))).not.toContain('WOMBAT-FAILURE');
  });

  test('the codec server: root keys decode, others are refused; CORS answers the Temporal UI’s origin only', async () => {
    const [sealed] = await new AesGcmCodec(parseCodecKeys(suite.stack.config.AOS_CODEC_KEYS!)).encode([plain('ORCHARD-PAYLOAD')]);
    const body = JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(sealed!.data!).toString('base64') }] });
    const decode = (init: RequestInit) => {
      const headers = new Headers(init.headers);
      headers.set('content-type', 'application/json');
      return fetch(`${suite.stack.apiUrl}/codec/decode`, { ...init, method: 'POST', body, headers });
    };
    const answer = await decode(withKey({}));
    if (answer.status !== 200) throw new Error(`${answer.status} ${await answer.text()}`);
    const ok = (await answer.json()) as { payloads: Array<{ data: string }> };
    expect(Buffer.from(ok.payloads[0]!.data, 'base64').toString()).toBe('"ORCHARD-PAYLOAD"');
    expect((await decode({})).status).toBe(401);
    const viewer = (await (await suite.agents.post('/keys', { name: 'viewer', scopes: ['admin'] })).json()) as { key: string };
    expect((await decode(withKey({}, viewer.key))).status).toBe(403);
    const ui = new URL(suite.stack.temporal.uiUrl!).origin;
    const preflight = (origin: string) => fetch(`${suite.stack.apiUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    const allowed = await preflight(ui);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ui);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  test('in Chromium, the Temporal UI shows the summary to a browser with a codec session, and ciphertext to one without', async () => {
    const res = await fetch(`${suite.stack.apiUrl}/agents`, withKey({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'viewed', role: 'r', goal: 'PELICAN-GOAL watch the bay', input: 'go', model: 'scripted:1' }) }));
    const { id } = (await res.json()) as { id: string };
    await suite.agents.settle(id);
    browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, pipe: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const uiUrl = suite.stack.temporal.uiUrl!;
    const endpoint = `${suite.stack.apiUrl}/codec`;
    const workflowPage = `${uiUrl}/namespaces/${suite.stack.temporal.namespace}/workflows/${id}`;

    /** Opens the workflow in the UI with the codec configured (as a person does in "Data Encoder"); returns the page text once it settles. */
    async function uiText(context: Awaited<ReturnType<Browser['createBrowserContext']>>, expectText: string | null): Promise<{ text: string; codecStatuses: number[] }> {
      const page = await context.newPage();
      const codecStatuses: number[] = [];
      page.on('response', (r) => {
        if (r.url().startsWith(`${endpoint}/decode`)) codecStatuses.push(r.status());
      });
      await page.goto(uiUrl, { waitUntil: 'domcontentloaded' });
      const settings = { endpoint, includeCredentials: true, passAccessToken: false, overrideRemoteCodecConfiguration: true };
      await page.evaluate(`for (const [k, v] of Object.entries(${JSON.stringify(settings)})) localStorage.setItem(k, JSON.stringify(v))`);
      await page.goto(workflowPage, { waitUntil: 'networkidle2' });
      const text = await waitFor(
        async () => String(await page.evaluate('document.body.innerText')),
        (t) => (expectText ? t.includes(expectText) : codecStatuses.length > 0 && t.includes(id)),
        30_000,
        expectText ? `the UI to show "${expectText}"` : 'the UI to try the codec',
      );
      await page.close();
      return { text, codecStatuses };
    }

    // A person with a root key starts a codec session on the API's page, then opens the UI.
    const person = await browser.createBrowserContext();
    const login = await person.newPage();
    await login.goto(endpoint, { waitUntil: 'domcontentloaded' });
    await login.type('#key', TEST_ROOT_KEY);
    await login.click('button');
    await login.waitForFunction("document.getElementById('out')?.textContent === 'Session started.'");
    const seen = await uiText(person, 'PELICAN-GOAL');
    expect(seen.codecStatuses).toContain(200);

    // Somebody without the session: the codec refuses, and the UI never shows the text.
    const stranger = await browser.createBrowserContext();
    const unseen = await uiText(stranger, null);
    expect(unseen.codecStatuses.length).toBeGreaterThan(0);
    expect(unseen.codecStatuses.filter((s) => s !== 401 && s !== 204)).toEqual([]);
    expect(unseen.text).not.toContain('PELICAN-GOAL');
  });
});
