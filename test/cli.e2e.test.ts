import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_ROOT_KEY } from './support/keys';
import { useStack } from './support/suite';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });
const AOS = new URL('../cli/aos.ts', import.meta.url).pathname;

/** Runs the real `aos` binary against the stack; returns its exit code and output. */
async function aos(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(['bun', AOS, ...args], {
    env: { ...process.env, AOS_URL: suite.stack.apiUrl!, AOS_KEY: TEST_ROOT_KEY, AOS_CONFIG: '/nonexistent/aos.json', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, out, err };
}
const json = <T>(r: { out: string }) => JSON.parse(r.out) as T;

describe('the aos CLI (the real binary against a real stack)', () => {
  let done: string;

  test('spawn --wait, ps, describe: text and --json', async () => {
    const spawned = await aos(['spawn', '--name', 'cli-one', '--role', 'a tester', '--goal', 'finish', '--input', 'hello from the CLI', '--model', 'scripted:2', '--wait', '--json']);
    expect(spawned.code).toBe(0);
    const agent = json<{ id: string; status: string; result: string | null }>(spawned);
    expect(agent.status).toBe('completed');
    done = agent.id;

    const ps = await aos(['ps']);
    expect(ps.code).toBe(0);
    const [header, ...rows] = ps.out.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['ID', 'NAME', 'TENANT', 'STATE', 'HOLD', 'STEP', 'TOKENS', 'COST', 'NODE']);
    expect(rows.find((r) => r.startsWith(done))).toMatch(/cli-one\s+default\s+completed\s+-\s+2\s/);
    expect(json<{ agents: Array<{ id: string }> }>(await aos(['ps', '--json'])).agents.map((a) => a.id)).toContain(done);

    const described = await aos(['describe', done]);
    expect(described.code).toBe(0);
    expect(described.out).toMatch(/^state:\s+completed/m);
    expect(described.out).toMatch(/^result:\s+\S/m);
  });

  test('on a terminal, the progress line of --wait is erased before the answer is printed', async () => {
    // `script` gives aos a pseudo-terminal, as a person's shell would (stdout and stderr on one screen).
    const command = `bun ${AOS} spawn --name cli-tty --role r --goal g --input hi --model scripted:2 --wait`;
    const proc = Bun.spawn(['script', '-qec', command, '/dev/null'], { env: { ...process.env, AOS_URL: suite.stack.apiUrl!, AOS_KEY: TEST_ROOT_KEY, AOS_CONFIG: '/nonexistent/aos.json' }, stdout: 'pipe', stderr: 'pipe' });
    const screen = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(screen).toMatch(/: running, step \d+, \$\d/); // progress was shown…
    const answer = screen.search(/cli-tty-\w+\tcompleted\t/);
    expect(answer).toBeGreaterThan(0);
    expect(screen.slice(answer - 5, answer)).toBe('\r\x1b[2K'); // …and erased right before the answer
  });

  test('in the Temporal UI the agent’s workflow shows its details and a readable result', async () => {
    const handle = suite.stack.client.workflow.getHandle(done);
    const description = await handle.describe();
    const details = await description.staticDetails();
    expect(details).toContain('- **Role:** a tester');
    expect(details).toContain('- **Model:** scripted:2');
    const result = (await handle.result()) as { answer?: string; resultPageId: string };
    const view = await suite.agents.get(done);
    // The answer's first lines, not only a page id (the whole answer stays in its page).
    expect(result.answer).toBe(view.result!.length > 280 ? `${view.result!.slice(0, 279)}…` : view.result!);
    expect(result.resultPageId).toBeString();
  });

  test('logs -f follows a running agent’s steps to its end', async () => {
    const id = (await aos(['spawn', '--role', 'r', '--goal', 'g', '--input', 'slowly', '--model', 'scripted:3:300'])).out.trim();
    const logs = await aos(['logs', '-f', id]);
    expect(logs.code).toBe(0);
    for (const step of [1, 2, 3]) expect(logs.out).toContain(`step ${step} completed`);
    expect(logs.out.trim().split('\n').at(-1)).toBe('finished: completed (final_answer)');
  });

  test('approve a pending tool call by its id; the agent goes on', async () => {
    const id = (await aos(['spawn', '--role', 'r', '--goal', 'g', '--input', 'CALL publish {"channel":"news","text":"hi"}', '--model', 'scripted:2', '--tool', 'publish'])).out.trim();
    const waiting = await suite.agents.until(id, (v) => v.pendingApproval !== null, 'a pending approval');
    const described = await aos(['describe', id]);
    expect(described.out).toContain(`aos approve ${id} ${waiting.pendingApproval!.callId}`);
    const approved = await aos(['approve', id, waiting.pendingApproval!.callId, '--reason', 'fine']);
    expect({ code: approved.code, out: approved.out.trim() }).toEqual({ code: 0, out: `approved ${waiting.pendingApproval!.callId}` });
    expect((await suite.agents.settle(id)).status).toBe('completed');
  });

  test('kill, then kill again: the second is refused (exit 5) with the API’s sentence', async () => {
    const id = (await aos(['spawn', '--role', 'r', '--goal', 'g', '--input', 'long', '--model', 'scripted:50:200'])).out.trim();
    expect((await aos(['kill', id, '--reason', 'enough'])).code).toBe(0);
    await suite.agents.until(id, (v) => v.status === 'terminated', 'terminated');
    const again = await aos(['kill', id]);
    expect(again.code).toBe(5);
    expect(again.err).toStartWith(`aos: kill agent ${id}: `);
  });

  test('usage rolled up; checkpoints listed', async () => {
    const usage = json<{ tenant: string; groupBy: string; groups: Array<{ key: string; costUsd: number }>; costUsd: number }>(await aos(['usage', '--group-by', 'model', '--json']));
    expect(usage.tenant).toBe('default');
    expect(usage.groups.reduce((n, g) => n + g.costUsd, 0)).toBeCloseTo(usage.costUsd, 9);
    const text = await aos(['usage']);
    expect(text.out).toMatch(/^default: \d+ steps/);
    const checkpoints = await aos(['checkpoints', done]);
    expect(checkpoints.code).toBe(0);
    expect(checkpoints.out.split('\n')[0]!.split(/\s+/).filter(Boolean)).toEqual(['ID', 'STEP', 'BRANCH', 'CREATED', 'TAGS']);
  });

  test('spawn --idempotency-key: run twice, one agent', async () => {
    const args = ['spawn', '--role', 'r', '--goal', 'g', '--input', 'once only', '--model', 'scripted:2', '--idempotency-key', 'cli-once-7'];
    const first = (await aos(args)).out.trim();
    const second = await aos(args);
    expect(second.code).toBe(0);
    expect(second.out.trim()).toBe(first);
  });

  test('entities: what an agent learned, as a table and as JSON', async () => {
    const id = (await aos(['spawn', '--role', 'r', '--goal', 'g', '--input', 'My name is Ana. I live in Porto.', '--model', 'scripted:2'])).out.trim();
    await suite.agents.settle(id);
    const text = await aos(['entities', id]);
    expect(text.code).toBe(0);
    expect(text.out.split('\n')[0]!.split(/\s+/).filter(Boolean)).toEqual(['ENTITY', 'ATTRIBUTE', 'VALUE', 'V', 'SINCE', 'UNTIL']);
    expect(text.out).toMatch(/user\s+lives_in\s+Porto\s+1\s/);
    const asJson = json<{ entities: Array<{ entity: string; facts: Array<{ attribute: string }> }> }>(await aos(['entities', '--entity', 'user', '--json']));
    expect(asJson.entities.flatMap((e) => e.facts.map((f) => f.attribute))).toEqual(expect.arrayContaining(['lives_in', 'name']));
  });

  test('forgetting: tag and delete checkpoints, set the retention policy, delete a finished agent', async () => {
    const id = (await aos(['spawn', '--role', 'r', '--goal', 'g', '--input', 'forget me', '--model', 'scripted:3'])).out.trim();
    await suite.agents.settle(id);
    const cps = json<{ checkpoints: Array<{ id: string }> }>(await aos(['checkpoints', id, '--json'])).checkpoints;
    expect((await aos(['checkpoint-tag', id, cps[0]!.id, 'keep', 'v1'])).out.trim()).toBe(`${cps[0]!.id}: keep, v1`);
    expect((await aos(['checkpoint-delete', id, cps[1]!.id])).out.trim()).toBe(`deleted ${cps[1]!.id}`);
    expect((await aos(['checkpoint-delete', id, cps[1]!.id])).code).toBe(3);
    expect((await aos(['retention', '--checkpoint-days', '30'])).out.trim()).toStartWith('default: finished agents kept, untagged checkpoints 30 days');
    const bad = await aos(['retention', '--checkpoint-days', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('days must be a whole number');
    const none = await aos(['retention', '--checkpoint-days', 'none']);
    expect(none.out).toContain('untagged checkpoints kept');
    const deleted = await aos(['delete', id]);
    expect(deleted.code).toBe(0);
    expect(deleted.out).toMatch(new RegExp(`^deleted ${id}: \\d+ pages, \\d+ checkpoints`));
    expect((await aos(['describe', id])).code).toBe(3);
    expect((await aos(['delete', id])).out.trim()).toBe(`${id} was already deleted`);
  });

  test('a crew and its nodes; the URL and key from a config file', async () => {
    const crew = (await (await suite.agents.post('/crews', { name: 'cli crew', nodes: [{ id: 'only', kind: 'agent', agent: { role: 'r', goal: 'g', input: 'x', model: 'scripted:1' } }] })).json()) as { id: string };
    await suite.stack.client.workflow.getHandle(crew.id).result();
    const shown = await aos(['crew', crew.id]);
    expect(shown.out.split('\n')[0]).toMatch(new RegExp(`^${crew.id} \\(crew "cli crew"\\): completed, \\d+ tokens, \\$`));
    expect(shown.out).toMatch(/only\s+agent\s+-\s+completed\s+-\s+\S+/);
    const dir = mkdtempSync(join(tmpdir(), 'aos-config-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ url: suite.stack.apiUrl, key: TEST_ROOT_KEY }));
      const viaFile = await aos(['whoami'], { AOS_URL: '', AOS_KEY: '', AOS_CONFIG: file });
      expect({ code: viaFile.code, out: viaFile.out.trim() }).toEqual({ code: 0, out: 'key:testroot0000 in default (root)' });
      writeFileSync(file, '{"url": 3}');
      const bad = await aos(['whoami'], { AOS_URL: '', AOS_KEY: '', AOS_CONFIG: file });
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(`the config file ${file} is invalid`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('crews from a spec file: run, follow, open a gate; a batch with --wait; a bad spec file is exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aos-specs-'));
    try {
      const crewFile = join(dir, 'crew.json');
      const agent = (input: string) => ({ role: 'r', goal: 'g', input, model: 'scripted:1' });
      writeFileSync(crewFile, JSON.stringify({ name: 'gated', nodes: [{ id: 'draft', kind: 'agent', agent: agent('draft it') }, { id: 'review', kind: 'gate', dependsOn: ['draft'], gate: { prompt: 'ship it?' } }, { id: 'ship', kind: 'agent', dependsOn: ['review'], agent: agent('ship it') }] }));
      const run = await aos(['crew-run', crewFile]);
      expect(run.code).toBe(0);
      const id = run.out.trim();
      const waiting = async () => json<{ nodes: Array<{ id: string; status: string }> }>(await aos(['crew', id, '--json'])).nodes.find((n) => n.id === 'review')?.status;
      for (let i = 0; i < 200 && (await waiting()) !== 'waiting'; i++) await Bun.sleep(100);
      expect(await waiting()).toBe('waiting');
      expect((await aos(['crew-gate', id, 'review'])).code).toBe(2); // neither --approve nor --reject
      const opened = await aos(['crew-gate', id, 'review', '--approve', '--reason', 'looks right']);
      expect({ code: opened.code, out: opened.out.trim() }).toEqual({ code: 0, out: 'gate review: opened' });
      // Followed to its end: the stream shows each node and the finish, then the verb returns.
      const logs = await aos(['crew-logs', '-f', id]);
      expect(logs.code).toBe(0);
      expect(logs.out).toMatch(/node\.completed node draft/);
      expect(logs.out).toMatch(/node\.completed node ship/);
      expect(logs.out.trim().split('\n').at(-1)).toMatch(/^crew\.finished/);
      expect((await aos(['crews'])).out).toMatch(new RegExp(`${id}\\s+gated\\s+completed\\s+3\\s`));

      const batchFile = join(dir, 'batch.json');
      writeFileSync(batchFile, JSON.stringify({ name: 'three', concurrency: 2, template: agent('summarise {{item}}'), inputs: ['a', 'b', 'c'] }));
      const batch = await aos(['batch-submit', batchFile, '--wait']);
      expect(batch.code).toBe(0);
      expect(batch.out).toMatch(/\(batch "three"\): completed/);
      expect(batch.out).toMatch(/foreach\s+\S+\s+completed\s+3\/3/);
      const batchId = batch.out.split(' ')[0]!;
      expect(json<{ status: string }>(await aos(['batch', batchId, '--json'])).status).toBe('completed');
      expect((await aos(['batches'])).out).toContain(batchId);
      // A crew that fails is exit 8 under --wait (its only agent names a provider with no key here).
      writeFileSync(crewFile, JSON.stringify({ name: 'doomed', nodes: [{ id: 'only', kind: 'agent', agent: { ...agent('x'), model: 'anthropic:claude-none' } }] }));
      const failed = await aos(['crew-run', crewFile, '--wait']);
      expect(failed.code).toBe(8);
      expect(failed.err).toMatch(/^aos: crew \S+ ended failed/);

      writeFileSync(crewFile, '{ not json');
      const bad = await aos(['crew-run', crewFile]);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(`${crewFile} is not JSON`);
      expect((await aos(['crew-run', join(dir, 'missing.json')])).err).toContain('no such file');
      // The API refuses a graph with a cycle: exit 5, with its sentence.
      writeFileSync(crewFile, JSON.stringify({ name: 'loop', nodes: [{ id: 'a', kind: 'agent', dependsOn: ['b'], agent: agent('a') }, { id: 'b', kind: 'agent', dependsOn: ['a'], agent: agent('b') }] }));
      const cycle = await aos(['crew-run', crewFile]);
      expect(cycle.code).toBe(5);
      expect(cycle.err).toMatch(/^aos: create the crew: .*cycle/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('schedules: create from stdin, show, pause, trigger, resume, delete', async () => {
    const spec = JSON.stringify({ name: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Paris', agent: { name: 'nightly', role: 'r', goal: 'g', input: 'report', model: 'scripted:1' } });
    const proc = Bun.spawn(['bun', AOS, 'schedule-create', '-'], { env: { ...process.env, AOS_URL: suite.stack.apiUrl!, AOS_KEY: TEST_ROOT_KEY, AOS_CONFIG: '/nonexistent/aos.json' }, stdin: new Blob([spec]), stdout: 'pipe', stderr: 'pipe' });
    const id = (await new Response(proc.stdout).text()).trim();
    expect(await proc.exited).toBe(0);
    const shown = await aos(['schedule', id]);
    expect(shown.out).toContain(`${id} ("nightly"): starts agent, cron "0 3 * * *" (Europe/Paris), overlap skip`);
    expect(shown.out).toMatch(/^next: \d{4}-/m);
    expect((await aos(['schedule-pause', id, '--note', 'holiday'])).out).toMatch(/PAUSED[\s\S]*note: holiday/);
    expect((await aos(['schedules'])).out).toMatch(new RegExp(`${id}\\s+nightly\\s+agent\\s+0 3 \\* \\* \\*\\s+true`));
    const fired = await aos(['schedule-trigger', id]);
    expect(fired.code).toBe(0);
    expect(json<{ paused: boolean }>(await aos(['schedule-resume', id, '--json'])).paused).toBe(false);
    expect((await aos(['schedule-delete', id])).out.trim()).toBe(`deleted: ${id}`);
    expect((await aos(['schedule', id])).code).toBe(3);
  });

  test('nodes: GPUs counted from the inventory, not "undefined"', async () => {
    const nodes = await aos(['nodes']);
    expect(nodes.code).toBe(0);
    expect(nodes.out.split('\n')[0]!.split(/\s{2,}/)).toEqual(['ID', 'STATUS', 'HOST', 'GPUS', 'GPU MIB RESERVED', 'HEARTBEAT']);
    expect(nodes.out).toMatch(new RegExp(`${suite.stack.nodeId}\\s+alive\\s+\\S+\\s+0\\s+-\\s+\\d{4}-`));
    expect(nodes.out).not.toContain('undefined');
  });

  test('exit codes a script can rely on', async () => {
    const missing = await aos(['describe', 'no-such-agent']);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/^aos: read agent no-such-agent: /);
    expect((await aos(['ps'], { AOS_KEY: 'aok_nope_nope' })).code).toBe(4);
    expect((await aos(['ps'], { AOS_URL: 'http://127.0.0.1:9' })).code).toBe(6);
    expect((await aos(['launch'])).code).toBe(2);
    expect((await aos(['describe'])).code).toBe(2);
    expect((await aos(['usage', '--group-by', 'planet'])).code).toBe(2);
    expect((await aos(['--help'])).code).toBe(0);
  });
});
