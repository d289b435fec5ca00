/**
 * The README's entry points as real processes: `bun run dev` brings up the whole stack on embedded
 * defaults (its own Temporal dev server, PGlite, a node, the API) and stops it all on Ctrl-C; `bun run
 * api` serves the API against an existing Temporal and Postgres, with the work done by a node elsewhere.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portIsFree } from '../infra/free-port';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';
import { TEST_AUTH_ENV, TEST_ROOT_KEY, withKey } from './support/keys';
import { parseKey } from '../kernel/auth/api-key-token';

/** The secret part of a key (a secret may itself hold "_": never split on it). */
const secretOf = (key: string) => parseKey(key)!.secret;

setDefaultTimeout(240_000);

const root = new URL('..', import.meta.url).pathname;
const started: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const p of started) p.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
});

/** Starts `bun run <script>` and collects what it prints. */
function run(script: string, env: Record<string, string>) {
  const proc = Bun.spawn(['bun', 'run', script], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdout: 'pipe', stderr: 'pipe' });
  started.push(proc);
  let out = '';
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out += decoder.decode(chunk);
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return { proc, output: () => out };
}

async function spawnAndFinish(api: string, name: string, key = TEST_ROOT_KEY) {
  const res = await fetch(`${api}/agents`, withKey({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, role: 'a greeter', goal: 'say hello', input: 'Hi!', model: 'scripted:2' }) }, key));
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  return waitFor(async () => (await (await fetch(`${api}/agents/${id}`, withKey({}, key))).json()) as { status: string; step: number; result: string }, (v) => v.status === 'completed', 60_000, `${name} completes`);
}

describe('bun run dev', () => {
  test('brings the whole stack up on embedded defaults, serves an agent to completion, and stops it all on SIGINT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aok-dev-'));
    try {
      const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
      const env = { DATA_DIR: dataDir, API_PORT: String(apiPort), TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort), TEMPORAL_ADDRESS: '', DATABASE_URL: '', TASK_QUEUE: 'dev-proc' };
      const dev = run('dev', env);
      await waitFor(async () => dev.output(), (o) => o.includes('Agent OS Kernel is up.') || dev.proc.exitCode !== null, 180_000, 'the stack to come up');
      expect(dev.output()).toContain(`http://127.0.0.1:${apiPort}`);
      expect(dev.output()).toContain(`http://127.0.0.1:${uiPort}`);
      const api = `http://127.0.0.1:${apiPort}`;
      expect((await fetch(`${api}/health`)).status).toBe(200);
      // The first start made a root key and printed it once, outside the structured log.
      const printed = /export AOS_KEY=(aok_\S+)/.exec(dev.output())?.[1];
      expect(printed).toBeDefined();
      expect(dev.output().split(printed!).length - 1).toBe(1);
      expect((await fetch(`${api}/agents`)).status).toBe(401);
      expect((await fetch(`${api}/agents`, withKey({}, TEST_ROOT_KEY))).status).toBe(401);
      expect(await spawnAndFinish(api, 'dev-hello', printed)).toMatchObject({ status: 'completed', step: 2 });
      // Its creation is in the audit log, by the bootstrap, without the secret.
      const audit = await (await fetch(`${api}/audit?action=key.created`, withKey({}, printed))).text();
      expect(audit).toContain('"actor":"bootstrap"');
      expect(audit).not.toContain(secretOf(printed!));
      // The Temporal Web UI answers on its port.
      expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
      // A second `bun run dev` on the same data directory is refused with a sentence, not a crash.
      const second = run('dev', { ...env, API_PORT: String(await freePort()), TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()) });
      expect(await second.proc.exited).toBe(2);
      expect(second.output()).toContain('set DATABASE_URL');
      dev.proc.kill('SIGINT');
      expect(await dev.proc.exited).toBe(0);
      // Everything it started is gone: the API and Temporal ports are free again.
      expect(await portIsFree(apiPort, '127.0.0.1')).toBe(true);
      await waitFor(async () => portIsFree(temporalPort, '127.0.0.1'), (free) => free, 15_000, 'the dev server to stop');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('bun run api', () => {
  const suite = useStack({ database: 'postgres' });

  test('serves the API against an existing Temporal and Postgres; a node elsewhere does the work', async () => {
    const port = await freePort();
    const api = run('api', { ...TEST_AUTH_ENV, TEMPORAL_ADDRESS: suite.stack.temporal.address, DATABASE_URL: suite.stack.databaseUrl!, TASK_QUEUE: suite.stack.config.TASK_QUEUE, API_PORT: String(port) });
    await waitFor(async () => api.output(), (o) => o.includes('API listening') || api.proc.exitCode !== null, 60_000, 'the API to listen');
    const url = `http://127.0.0.1:${port}`;
    const done = await spawnAndFinish(url, 'api-hello');
    expect(done.result).toContain('Final answer (step 2/2)');
    // The API process ran no worker: the agent's steps ran on the test stack's node.
    expect(api.output()).not.toContain('GPUs detected');
    api.proc.kill('SIGTERM');
    expect(await api.proc.exited).toBe(0);
  });
});
