import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { auditLog, usageLedger } from '../db/schema';
import type { Stack } from '../infra/stack';
import type { Config } from '../kernel/config';
import { agentClient } from './support/agent-client';
import { rootFetch } from './support/keys';
import { nodeProcesses } from './support/nodes';
import { startTestStack } from './support/stack';
import { waitFor } from './support/wait';

// The API in this process and a worker in another, both reading one config file; live changes reach both through Postgres.
setDefaultTimeout(180_000);

const dir = mkdtempSync(join(tmpdir(), 'aok-config-'));
const file = join(dir, 'aok.config.toml');
const priced = (input: number, output: number, extra = '') => `LOG_LEVEL = "error"\n${extra}\n[MODEL_PRICES.scripted]\ninputPerMTok = ${input}\noutputPerMTok = ${output}\n`;
// The test environment prices the scripted model itself; an empty MODEL_PRICES leaves it to the file.
const env = { AOK_CONFIG_FILE: file, MODEL_PRICES: '' };

let stack: Stack & { config: Config; databaseUrl: string | undefined };
const workers = nodeProcesses(() => stack);
beforeAll(async () => {
  writeFileSync(file, priced(1_000, 2_000));
  stack = await startTestStack({ database: 'postgres', worker: false, env });
});
afterAll(async () => {
  await workers.stopAll();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Setting = { key: string; value: unknown; source: string; live: boolean };
type ConfigView = { version: number | null; lastError: string | null; restartRequired: string[]; settings: Setting[]; file: string | null };
const config = async () => (await (await rootFetch(`${stack.apiUrl}/config`)).json()) as ConfigView;
const setting = (c: ConfigView, key: string) => c.settings.find((s) => s.key === key)!;

describe('config file with live reload', () => {
  test('a price changed in the file is used by the next step on a worker in another process, no restart; an invalid file is refused and the old config stays', async () => {
    workers.start({ NODE_ID: 'cfg-1', NODE_LEASE_MS: '3000', ...env });
    await waitFor(async () => (await fetch(`${stack.apiUrl}/readyz`)).status, (s) => s === 200, 90_000, 'the worker polling');
    const agents = agentClient(stack);
    /** An agent's cost against its ledger's tokens at a price per million tokens. */
    const costAt = async (name: string) => {
      const a = await agents.spawn({ name, model: 'scripted:2', input: 'hello there' });
      const done = await agents.settle(a.id);
      const rows = await stack.db.db.select().from(usageLedger).where(eq(usageLedger.agentId, a.id));
      const tokens = { prompt: rows.reduce((n, r) => n + r.promptTokens, 0), completion: rows.reduce((n, r) => n + r.completionTokens, 0) };
      return { cost: done.usage.costUsd, tokens };
    };
    const expected = (t: { prompt: number; completion: number }, input: number, output: number) => (t.prompt * input + t.completion * output) / 1e6;

    const first = await config();
    expect(first.file).toBe(file);
    expect(setting(first, 'MODEL_PRICES')).toMatchObject({ source: 'cluster', live: true });
    expect(setting(first, 'AOS_CODEC_KEYS')).toMatchObject({ value: '(set)', source: 'env', live: false });
    const a = await costAt('priced-1');
    expect(a.cost).toBeCloseTo(expected(a.tokens, 1_000, 2_000), 9);

    // The file changes: a new version, applied by the API and by the worker (its heartbeat says which version it runs).
    writeFileSync(file, priced(10_000, 20_000));
    const changed = await waitFor(config, (c) => c.version !== null && c.version > first.version!, 20_000, 'a new live version');
    const nodeVersion = async () => ((await (await rootFetch(`${stack.apiUrl}/nodes`)).json()) as { nodes: Array<{ id: string; capabilities: { configVersion?: number } }> }).nodes.find((n) => n.id === 'cfg-1')?.capabilities.configVersion;
    await waitFor(nodeVersion, (v) => v === changed.version, 20_000, 'the worker to apply it');
    const b = await costAt('priced-2');
    expect(b.cost).toBeCloseTo(expected(b.tokens, 10_000, 20_000), 9);

    // An invalid file (a negative price) is refused: the version stays, and so do the prices.
    writeFileSync(file, priced(-5, 20_000));
    const refused = await waitFor(config, (c) => c.lastError !== null, 20_000, 'the invalid file to be refused');
    expect(refused.lastError).toContain('MODEL_PRICES');
    expect(refused.version).toBe(changed.version);
    // …and shows in readiness (which stays ready) and in the metrics.
    const ready = (await (await fetch(`${stack.apiUrl}/readyz`)).json()) as { status: string; config: { lastError: string | null } };
    expect(ready.status).toBe('ready');
    expect(ready.config.lastError).toContain('MODEL_PRICES');
    expect(await (await rootFetch(`${stack.apiUrl}/metrics`)).text()).toContain('aok_config_file_refused 1');
    const c = await costAt('priced-3');
    expect(c.cost).toBeCloseTo(expected(c.tokens, 10_000, 20_000), 9);

    // A setting that needs a restart is named, not applied; a good file clears the error.
    writeFileSync(file, priced(10_000, 20_000, 'AGING_INTERVAL_MS = 5000'));
    const restart = await waitFor(config, (x) => x.lastError === null && x.restartRequired.length > 0, 20_000, 'the restart notice');
    expect(restart.restartRequired).toEqual(['AGING_INTERVAL_MS']);
    expect(setting(restart, 'AGING_INTERVAL_MS').value).toBe(30_000);

    // Each applied change is audited with its diff.
    const audits = await stack.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'config.changed')));
    const diffs = audits.map((r) => r.data as { diff: Record<string, { from: string | null; to: string | null }> });
    expect(diffs.some((d) => d.diff.MODEL_PRICES?.to?.includes('10000') && d.diff.MODEL_PRICES?.from?.includes('1000'))).toBe(true);
  });

  test("budgets' defaults and tenant caps change live: the API's spawn and the other process's step read the new values", async () => {
    const agents = agentClient(stack);
    const before = await config();
    const caps = 'DEFAULT_MAX_TOTAL_TOKENS = 4321\nTENANT_MAX_LIVE_AGENTS = 1\nTENANT_MAX_COST_USD_PER_DAY = 0.000001';
    writeFileSync(file, priced(10_000, 20_000, caps));
    // The worker's process watches the file too and may store the version first: wait for the API's own read as well.
    const changed = await waitFor(config, (c) => c.version !== null && c.version > before.version! && c.restartRequired.length === 0, 20_000, 'a new live version');
    for (const key of ['DEFAULT_MAX_TOTAL_TOKENS', 'TENANT_MAX_LIVE_AGENTS', 'TENANT_MAX_COST_USD_PER_DAY']) expect(setting(changed, key)).toMatchObject({ source: 'cluster', live: true });
    const nodeVersion = async () => ((await (await rootFetch(`${stack.apiUrl}/nodes`)).json()) as { nodes: Array<{ id: string; capabilities: { configVersion?: number } }> }).nodes.find((n) => n.id === 'cfg-1')?.capabilities.configVersion;
    await waitFor(nodeVersion, (v) => v === changed.version, 20_000, 'the worker to apply it');

    // The default budget is the new one; a second live agent of the tenant is refused (cap 1).
    const slow = await agents.spawn({ name: 'live-caps-1', tenant: 'live-caps', model: 'scripted:2:1500', input: 'hello there' });
    expect(slow.budget?.maxTotalTokens).toBe(4321);
    const second = await agents.post('/agents', { role: 'a tester', goal: 'exercise the kernel', name: 'live-caps-2', tenant: 'live-caps', input: 'hello' });
    expect(second.status).toBe(429);
    expect(((await second.json()) as { detail: string }).detail).toContain('TENANT_MAX_LIVE_AGENTS');
    // The worker in the other process refuses the second step: the tenant's day is spent (the cap is a millionth of a dollar).
    const held = await waitFor(() => agents.get(slow.id), (a) => a.hold !== null || a.status !== 'running', 30_000, 'the agent held by the daily cap');
    expect({ hold: held.hold, step: held.step }).toEqual({ hold: 'budget_exhausted', step: 1 });
    expect(held.usage.costUsd).toBeGreaterThan(0.000001);
    expect((await agents.post(`/agents/${slow.id}/kill`, {})).status).toBeLessThan(300);
    // …and the API refuses the next spawn for that tenant.
    const third = await agents.post('/agents', { role: 'a tester', goal: 'exercise the kernel', name: 'live-caps-3', tenant: 'live-caps', input: 'hello' });
    expect([429]).toContain(third.status);

    // Back to the file without them: the defaults return everywhere.
    writeFileSync(file, priced(10_000, 20_000));
    const reverted = await waitFor(config, (c) => c.version !== null && c.version > changed.version!, 20_000, 'the revert');
    expect(setting(reverted, 'DEFAULT_MAX_TOTAL_TOKENS')).toMatchObject({ value: 2_000_000, source: 'default' });
    await waitFor(nodeVersion, (v) => v === reverted.version, 20_000, 'the worker to apply the revert');
    const free = await agents.spawn({ name: 'live-caps-4', tenant: 'live-caps-2', input: 'hello there' });
    expect(free.budget?.maxTotalTokens).toBe(2_000_000);
    expect((await agents.settle(free.id)).status).toBe('completed');
  });
});
