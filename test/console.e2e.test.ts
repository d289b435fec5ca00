import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import puppeteer, { type Page } from 'puppeteer-core';
import { TEST_ROOT_KEY } from './support/keys';
import { SMI_FIXTURES } from './support/nodes';
import { useStack } from './support/suite';

// This suite starts real servers and a browser; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

// The node reads a real `nvidia-smi` capture (one Tesla T4), so the nodes view has a GPU to lease.
const suite = useStack({ database: 'postgres', env: { NVIDIA_SMI_COMMAND: `cat ${SMI_FIXTURES}tesla-t4-drv515-query.xml` } });
const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;

/** The text of the page once `predicate` holds of it. */
async function textUntil(page: Page, predicate: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = String(await page.evaluate('document.body.innerText'));
    if (predicate(text)) return text;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; the page said: ${text.slice(0, 400)}`);
}

describe('the kernel console in a real browser', () => {
  test('list, open an agent, approve its pending call, rewind it to a checkpoint; nodes and usage render', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const agent = await suite.agents.spawn({ name: 'console-agent', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"news","text":"from the console test"}' });
    await suite.agents.until(agent.id, (v) => v.pendingApproval !== null, 'a pending approval');

    const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, pipe: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const offOrigin: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(suite.stack.apiUrl!)) offOrigin.push(r.url());
      });
      await page.goto(`${suite.stack.apiUrl}/console`, { waitUntil: 'networkidle0' });
      await page.type('#key', TEST_ROOT_KEY);
      await page.click('#key-form button');

      // The list: the agent, waiting on its approval.
      await textUntil(page, (t) => t.includes(agent.id) && t.includes('approval'), 'the agent in the list');
      await page.screenshot({ path: `${ARTIFACTS}console-agents.png` });

      // Its page: approve the pending call; it completes.
      await page.click(`a[href="#/agents/${agent.id}"]`);
      await page.waitForSelector('button[data-decide="approve"]', { timeout: 20_000 });
      await page.screenshot({ path: `${ARTIFACTS}console-agent-approval.png` });
      // Its memories, with their history.
      await suite.agents.post(`/agents/${agent.id}/memories`, { scope: 'long', key: 'motto', content: 'measure twice' });
      await textUntil(page, (t) => t.includes('measure twice'), 'the memory on the agent page');
      await page.click('button[data-versions]');
      await textUntil(page, (t) => /v1 \(.*\): measure twice/.test(t), 'the memory’s history');
      // The context window as each step saw it, with token counts by kind.
      await textUntil(page, (t) => /Context window, step by step\s+step\s+prompt tokens[^\n]*\n1\s+\d+/.test(t), 'the first step’s context window');
      // Unfolded, step 1's window lists the pages the prompt held and why: the input is pinned.
      await page.click('details[data-step="1"] summary');
      await page.waitForSelector('ol[aria-label="window of step 1"] li', { timeout: 20_000 });
      const windowText = String(await page.evaluate('document.querySelector(\'ol[aria-label="window of step 1"]\').innerText'));
      expect(windowText).toContain('pinned prefix');
      expect(windowText).toContain('CALL publish');
      expect(windowText).toMatch(/step 0 · \d+ tokens/);
      // It stays unfolded across the page's refreshes.
      await Bun.sleep(2_500);
      expect(await page.$('ol[aria-label="window of step 1"] li')).not.toBeNull();
      await page.click('button[data-decide="approve"]');
      await textUntil(page, (t) => /State\s+completed/.test(t), 'the agent to complete');
      expect((await suite.agents.get(agent.id)).status).toBe('completed');
      const calls = await (await fetch(`${suite.stack.apiUrl}/agents/${agent.id}/tool-calls`, { headers: { authorization: `Bearer ${TEST_ROOT_KEY}` } })).json() as { toolCalls: Array<{ status: string; decidedBy: string }> };
      expect(calls.toolCalls[0]).toMatchObject({ status: 'succeeded' });

      // Rewind to the first checkpoint: the agent runs again on a new timeline.
      await page.waitForSelector('button[data-rewind]', { timeout: 20_000 });
      // The checkpoints on a timeline: one dot per checkpoint.
      const checkpointsNow = (await (await fetch(`${suite.stack.apiUrl}/agents/${agent.id}/checkpoints`, { headers: { authorization: `Bearer ${TEST_ROOT_KEY}` } })).json()) as { checkpoints: unknown[] };
      expect(checkpointsNow.checkpoints.length).toBeGreaterThan(0);
      await page.waitForSelector('svg[aria-label^="checkpoints timeline"] circle', { timeout: 20_000 });
      expect(await page.$$eval('svg[aria-label^="checkpoints timeline"] circle', (c) => c.length)).toBe(checkpointsNow.checkpoints.length);
      await page.screenshot({ path: `${ARTIFACTS}console-agent-completed.png`, fullPage: true });
      await page.click('button[data-rewind]');
      // The new timeline replays step 1, which asks for the same approval again.
      await suite.agents.until(agent.id, (v) => v.branch === 1 && v.pendingApproval !== null, 'the rewound agent to ask again');

      // A crew's graph, live: both nodes complete, the second after the first.
      const crew = (await (await suite.agents.post('/crews', { name: 'console crew', nodes: [{ id: 'first', kind: 'agent', agent: { role: 'r', goal: 'g', input: 'one', model: 'scripted:1' } }, { id: 'second', kind: 'agent', dependsOn: ['first'], agent: { role: 'r', goal: 'g', input: 'two', model: 'scripted:1' } }] })).json()) as { id: string };
      await page.goto(`${suite.stack.apiUrl}/console#/crews/${encodeURIComponent(crew.id)}`, { waitUntil: 'networkidle0' });
      await page.waitForSelector('svg[aria-label="crew graph"] line', { timeout: 20_000 });
      await textUntil(page, (t) => /State: completed/.test(t), 'the crew to complete');
      const graph = String(await page.evaluate('document.querySelector(\'svg[aria-label="crew graph"]\').textContent'));
      expect(graph).toContain('first · completed');
      expect(graph).toContain('second · completed');
      await page.screenshot({ path: `${ARTIFACTS}console-crew.png` });

      // A GPU agent holds a lease on the node's T4 while it runs: the nodes view shows the GPU and who leases it.
      const gpuAgent = await suite.agents.spawn({ name: 'gpu-console', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"gpu","text":"hold"}', placement: { gpuMemoryMiB: 4_000 } });
      await suite.agents.until(gpuAgent.id, (v) => v.pendingApproval !== null, 'the GPU agent to wait, holding its lease');
      await page.goto(`${suite.stack.apiUrl}/console#/nodes`, { waitUntil: 'networkidle0' });
      await textUntil(page, (t) => t.includes(suite.stack.nodeId!) && t.includes('Tesla T4') && t.includes(gpuAgent.id), 'the node, its T4 and the GPU agent’s lease');
      const gpuRow = String(await page.evaluate('document.querySelector(\'table[aria-label="GPUs"] tbody tr\').innerText'));
      expect(gpuRow).toContain('4,000');
      expect(gpuRow).toContain('15,360'); // the T4's total memory, from the capture
      await page.screenshot({ path: `${ARTIFACTS}console-nodes.png` });
      expect((await suite.agents.post(`/agents/${gpuAgent.id}/kill`, { reason: 'test over' })).status).toBe(202);
      await page.goto(`${suite.stack.apiUrl}/console#/usage`, { waitUntil: 'networkidle0' });
      await page.waitForSelector('svg[aria-label="USD per day"] rect', { timeout: 20_000 });
      await page.screenshot({ path: `${ARTIFACTS}console-usage.png` });
      expect(offOrigin).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
