/**
 * `bun run record-history`: runs representative agents on a throwaway stack and writes their
 * histories to test/histories/*.json, which test/replay.test.ts replays against today's code.
 * Re-record only when a workflow change is meant to be incompatible (and version it).
 */
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createLogger } from '../infra/logger';
import { main } from '../infra/main';
import { startStack } from '../infra/stack';
import { loadConfig } from '../kernel/config';

interface Scenario {
  file: string;
  /** The spawn body (given this stack's node id, for scenarios pinned to it). */
  body: Record<string, unknown> | ((nodeId: string) => Record<string, unknown>);
  /** Record the first run (e.g. the one that placed the agent and continued as new elsewhere). */
  firstRun?: boolean;
  /** Steers the running agent through the API (approvals, budget), given its id. */
  steer?: (api: string, id: string) => Promise<void>;
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Polls the agent until `ready` holds of its view. */
async function until(api: string, id: string, ready: (view: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const view = (await (await fetch(`${api}/agents/${id}`)).json()) as Record<string, unknown>;
    if (ready(view)) return view;
    await Bun.sleep(50);
  }
  throw new Error(`agent ${id} never reached the expected state`);
}

const SCENARIOS: Scenario[] = [
  { file: 'agent-scripted-3-steps', body: { name: 'replay-scripted', role: 'a recorder', goal: 'finish in three steps', input: 'record me', model: 'scripted:3' } },
  { file: 'agent-max-steps', body: { name: 'replay-max-steps', role: 'a recorder', goal: 'run out of steps', input: 'never done', model: 'scripted:10', constraints: { maxSteps: 2 } } },
  { file: 'agent-provider-401', body: { name: 'replay-failed', role: 'a recorder', goal: 'fail on a refused call', input: 'no key', model: 'anthropic:claude-none' } },
  {
    file: 'agent-tools-approval',
    body: { name: 'replay-tools', role: 'a recorder', goal: 'use tools', input: 'CALL calculator {"expression":"6*7"}\nCALL publish {"channel":"news","text":"42"}', model: 'scripted:3', tools: ['calculator', 'publish'] },
    steer: async (api, id) => {
      const view = await until(api, id, (v) => v.pendingApproval !== null);
      const callId = (view.pendingApproval as { callId: string }).callId;
      await post(`${api}/agents/${id}/approvals`, { callId, approved: true, approver: 'recorder' });
    },
  },
  {
    file: 'agent-budget-raise',
    body: { name: 'replay-budget', role: 'a recorder', goal: 'run out of budget', input: 'go', model: 'scripted:3', constraints: { maxTotalTokens: 200, maxTokensPerStep: 64 } },
    steer: async (api, id) => {
      await until(api, id, (v) => v.hold === 'budget_exhausted');
      await post(`${api}/agents/${id}/budget`, { maxTotalTokens: 5000 });
    },
  },
  {
    file: 'agent-placed-on-node',
    body: (nodeId) => ({ name: 'replay-placed', role: 'a recorder', goal: 'run on one node', input: 'pin me', model: 'scripted:2', placement: { node: nodeId } }),
    firstRun: true,
  },
  {
    file: 'agent-waits-for-gpu',
    body: { name: 'replay-gpu-wait', role: 'a recorder', goal: 'wait for a GPU', input: 'no GPU here', model: 'scripted:2', placement: { gpuMemoryMiB: 1024 } },
    steer: async (api, id) => {
      await until(api, id, (v) => v.hold === 'placement');
      await Bun.sleep(6_000); // one retry of the placement
      await post(`${api}/agents/${id}/kill`, { reason: 'recorded' });
    },
  },
];

main(async () => {
  // `bun run record-history agent-placed-on-node …` records only the named scenarios.
  const only = process.argv.slice(2);
  const logger = createLogger('warn');
  const config = loadConfig({ LOG_LEVEL: 'warn', ANTHROPIC_API_KEY: '' });
  const stack = await startStack({ config, logger, database: { pgliteDir: 'memory://' }, devServer: { ui: false }, apiPort: 0 });
  try {
    for (const scenario of SCENARIOS.filter((s) => only.length === 0 || only.includes(s.file))) {
      const body = typeof scenario.body === 'function' ? scenario.body(stack.nodeId!) : scenario.body;
      const res = await fetch(`${stack.apiUrl}/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`spawn ${scenario.file} answered ${res.status}: ${await res.text()}`);
      const { id, workflow } = (await res.json()) as { id: string; workflow: { runId: string } };
      await scenario.steer?.(stack.apiUrl!, id);
      await stack.client.workflow.getHandle(id).result().catch(() => undefined);
      const history = await stack.client.workflow.getHandle(id, scenario.firstRun ? workflow.runId : undefined).fetchHistory();
      const path = new URL(`../test/histories/${scenario.file}.json`, import.meta.url).pathname;
      writeFileSync(path, `${historyToJSON(history)}\n`);
      process.stdout.write(`recorded ${history.events?.length ?? 0} events → ${path}\n`);
    }
  } finally {
    await stack.stop();
  }
});
