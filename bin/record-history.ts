/**
 * `bun run record-history`: runs representative agents on a throwaway stack and writes their
 * histories to test/histories/*.json, which test/replay.test.ts replays against today's code.
 * Re-record only when a workflow change is meant to be incompatible (and version it).
 */
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { eq } from 'drizzle-orm';
import { crews } from '../db/schema';
import { createLogger } from '../infra/logger';
import { main } from '../infra/main';
import { startStack, type Stack } from '../infra/stack';
import { loadConfig } from '../kernel/config';

interface Scenario {
  file: string;
  /** The spawn body (given this stack's node id, for scenarios pinned to it). */
  body: Record<string, unknown> | ((nodeId: string) => Record<string, unknown>);
  /** Record the first run (e.g. the one that placed the agent and continued as new elsewhere). */
  firstRun?: boolean;
  /** Steers the running agent through the API (approvals, budget), given its id, the node id and the stack. */
  steer?: (api: string, id: string, nodeId: string, stack: Stack) => Promise<void>;
  /** Where the body is posted (default /agents; /crews for a crew). */
  path?: string;
  /** Which workflow to record, given the created id and the stack (default: that id). */
  workflowOf?: (id: string, stack: Stack) => string | Promise<string>;
}

/** A two-node crew an agent starts with spawn_crew. */
const SUB_CREW = JSON.stringify({
  name: 'replay sub-crew',
  maxTotalTokens: 10_000,
  nodes: [
    { id: 'first', kind: 'agent', agent: { role: 'r', goal: 'start', input: 'start' } },
    { id: 'second', kind: 'agent', dependsOn: ['first'], agent: { role: 'r', goal: 'finish', input: 'after {{nodes.first.result}}' } },
  ],
});

/** The root key of the throwaway stack (made at its start: its database is new). */
let rootKey = '';
/** `fetch` with the recording stack's root key. */
const authed = (url: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${rootKey}` } });
const post = (url: string, body: unknown, method = 'POST') => authed(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Polls the agent until `ready` holds of its view. */
async function until(api: string, id: string, ready: (view: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const view = (await (await authed(`${api}/agents/${id}`)).json()) as Record<string, unknown>;
    if (ready(view)) return view;
    await Bun.sleep(50);
  }
  throw new Error(`agent ${id} never reached the expected state`);
}

const SCENARIOS: Scenario[] = [
  { file: 'agent-scripted-3-steps', body: { name: 'replay-scripted', role: 'a recorder', goal: 'finish in three steps', input: 'record me', model: 'scripted:3' } },
  // The outcome stored by a local activity (the local-finish patch; the histories above predate it).
  { file: 'agent-local-finish', body: { name: 'replay-local-finish', role: 'a recorder', goal: 'finish in three steps', input: 'record me', model: 'scripted:3' } },
  // Entity memory's rules as a local activity (the entity-memory-local-rules patch), a message taken in mid-run.
  {
    file: 'agent-entity-rules-local',
    body: { name: 'replay-entity-rules', role: 'a recorder', goal: 'remember facts', input: 'I live in Porto.', model: 'scripted:4:300' },
    steer: async (api, id) => {
      await Bun.sleep(400);
      await post(`${api}/agents/${id}/messages`, { text: 'I moved to Lisbon.' });
    },
  },
  // Recorded with the sparse AgentStep attribute (patch `sparse-step-attribute`): 12 steps cross one write.
  { file: 'agent-sparse-step-attribute', body: { name: 'replay-sparse-step', role: 'a recorder', goal: 'take twelve steps', input: 'count on', model: 'scripted:12', constraints: { maxSteps: 12 } } },
  // Run version 1 (kernel/agent/run-version.ts): every change above, without a patch marker.
  { file: 'v1-agent-twelve-steps', body: { name: 'replay-v1-twelve', role: 'a recorder', goal: 'take twelve steps', input: 'count on', model: 'scripted:12', constraints: { maxSteps: 12 } } },
  { file: 'v1-agent-ten-steps', body: { name: 'replay-v1-ten', role: 'a recorder', goal: 'take ten steps', input: 'count on', model: 'scripted:10', constraints: { maxSteps: 10 } } },
  {
    file: 'v1-agent-entity-rules',
    body: { name: 'replay-v1-entity-rules', role: 'a recorder', goal: 'remember facts', input: 'I live in Porto.', model: 'scripted:4:300' },
    steer: async (api, id) => {
      await Bun.sleep(400);
      await post(`${api}/agents/${id}/messages`, { text: 'I moved to Lisbon.' });
    },
  },
  {
    file: 'v1-agent-tools-and-wait',
    body: { name: 'replay-v1-tools', role: 'a recorder', goal: 'use a tool, then wait', input: 'CALL calculator {"expression":"6*7"}\nCALL wait {"seconds":1}', model: 'scripted:3', tools: ['calculator', 'wait'] },
  },
  // A version-1 run that a worker of the previous release ran (a rolling deploy: it knew no run
  // versions and recorded its patch markers). Recorded with that release's workflows/ checked out.
  {
    file: 'v1-agent-by-previous-release',
    body: { name: 'replay-v1-previous', role: 'a recorder', goal: 'use a tool, remember, wait', input: 'I live in Porto.\nCALL calculator {"expression":"6*7"}\nCALL wait {"seconds":1}', model: 'scripted:12', tools: ['calculator', 'wait'], constraints: { maxSteps: 12 } },
  },
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
  {
    file: 'agent-pause-resume',
    body: { name: 'replay-pause', role: 'a recorder', goal: 'be paused and resumed', input: 'pause me', model: 'scripted:4:300' },
    steer: async (api, id) => {
      await until(api, id, (v) => (v.step as number) >= 1);
      await post(`${api}/agents/${id}/pause`, { reason: 'recorded' });
      await until(api, id, (v) => v.status === 'suspended');
      await post(`${api}/agents/${id}/resume`, {});
    },
  },
  {
    file: 'agent-killed-mid-step',
    body: { name: 'replay-kill', role: 'a recorder', goal: 'be killed while thinking', input: 'kill me', model: 'scripted:10:1500' },
    steer: async (api, id) => {
      await until(api, id, (v) => (v.step as number) >= 1);
      await Bun.sleep(500);
      await post(`${api}/agents/${id}/kill`, { reason: 'recorded' });
    },
  },
  {
    file: 'agent-message-and-priority',
    body: { name: 'replay-message', role: 'a recorder', goal: 'take a message and a new priority', input: 'talk to me', model: 'scripted:4:300' },
    steer: async (api, id) => {
      await until(api, id, (v) => (v.step as number) >= 1);
      await post(`${api}/agents/${id}/messages`, { text: 'a message in flight' });
      await post(`${api}/agents/${id}/priority`, { priority: 2 }, 'PUT');
    },
  },
  {
    file: 'agent-migrated',
    body: { name: 'replay-migrate', role: 'a recorder', goal: 'move to a node', input: 'move me', model: 'scripted:4:300' },
    firstRun: true,
    steer: async (api, id, nodeId) => {
      await until(api, id, (v) => (v.step as number) >= 1);
      await post(`${api}/agents/${id}/migrate`, { node: nodeId });
    },
  },
  {
    file: 'agent-rewound',
    body: { name: 'replay-rewind', role: 'a recorder', goal: 'be rewound', input: 'rewind me', model: 'scripted:4' },
    steer: async (api, id, _node, stack) => {
      await stack.client.workflow.getHandle(id).result();
      const { checkpoints } = (await (await authed(`${api}/agents/${id}/checkpoints`)).json()) as { checkpoints: Array<{ id: string; step: number }> };
      await post(`${api}/agents/${id}/rewind`, { checkpointId: checkpoints.find((c) => c.step === 1)!.id });
    },
  },
  {
    file: 'agent-reset-outside',
    body: { name: 'replay-reset', role: 'a recorder', goal: 'be reset from the CLI', input: 'reset me', model: 'scripted:4', tools: ['calculator'] },
    steer: async (_api, id, _node, stack) => {
      await stack.client.workflow.getHandle(id).result();
      const events = (await stack.client.workflow.getHandle(id).fetchHistory()).events ?? [];
      const first = events.find((e) => e.activityTaskCompletedEventAttributes)!;
      const boundary = events.find((e) => Number(e.eventId) > Number(first.eventId) && e.workflowTaskCompletedEventAttributes)!;
      await stack.client.workflowService.resetWorkflowExecution({ namespace: stack.temporal.namespace, workflowExecution: { workflowId: id }, workflowTaskFinishEventId: boundary.eventId, requestId: crypto.randomUUID(), reason: 'recorded' });
    },
  },
  {
    file: 'agent-tool-calls',
    body: { name: 'replay-tool-calls', role: 'a recorder', goal: 'use a tool twice', input: 'CALL calculator {"expression":"6*7"}\nCALL calculator {"expression":"2^10"}', model: 'scripted:3', tools: ['calculator'] },
  },
  {
    file: 'agent-parent-of-child',
    body: { name: 'replay-parent', role: 'a recorder', goal: 'lend budget to a child', input: 'parent me', model: 'scripted:30:200', constraints: { maxSteps: 30, maxTotalTokens: 100_000 } },
    steer: async (api, id, _node, stack) => {
      await until(api, id, (v) => (v.step as number) >= 1);
      const res = await post(`${api}/agents`, { name: 'replay-child', role: 'a recorder', goal: 'spend a little', input: 'child', model: 'scripted:2', parentId: id, constraints: { maxTotalTokens: 5_000 } });
      const { id: child } = (await res.json()) as { id: string };
      await stack.client.workflow.getHandle(child).result();
      await until(api, id, (v) => (v.step as number) >= 4);
      await post(`${api}/agents/${id}/kill`, { reason: 'recorded' });
    },
  },
  {
    file: 'agent-continued-as-new',
    body: { name: 'replay-long', role: 'a recorder', goal: 'run long enough to continue as new', input: 'go long', model: 'scripted:2000', constraints: { maxSteps: 2000 } },
    firstRun: true,
    steer: async (api, id, _node, stack) => {
      const handle = stack.client.workflow.getHandle(id);
      const firstRun = (await handle.describe()).runId;
      // Until the first run has continued as new (history limits reached), then stop the agent.
      while ((await handle.describe()).runId === firstRun) await Bun.sleep(1_000);
      await post(`${api}/agents/${id}/kill`, { reason: 'recorded' });
    },
  },
  {
    file: 'crew-diamond',
    path: '/crews',
    body: {
      name: 'replay diamond',
      nodes: [
        { id: 'a', kind: 'agent', agent: { role: 'r', goal: 'start', input: 'start', model: 'scripted:2' } },
        { id: 'b', kind: 'agent', dependsOn: ['a'], agent: { role: 'r', goal: 'left', input: 'left: {{nodes.a.result}}', model: 'scripted:2' } },
        { id: 'c', kind: 'agent', dependsOn: ['a'], when: { '==': [{ var: 'nodes.a.status' }, 'completed'] }, agent: { role: 'r', goal: 'right', input: 'right', model: 'scripted:2' } },
        { id: 'skip', kind: 'agent', dependsOn: ['a'], when: false, agent: { role: 'r', goal: 'never', input: 'never', model: 'scripted:2' } },
        { id: 'd', kind: 'agent', dependsOn: ['b', 'c'], agent: { role: 'r', goal: 'join', input: 'join', model: 'scripted:2' } },
      ],
    },
  },
  {
    file: 'crew-gate-wait-fallback',
    path: '/crews',
    body: {
      name: 'replay gates',
      nodes: [
        { id: 'gate', kind: 'gate', gate: { prompt: 'go?' } },
        { id: 'pause', kind: 'wait', dependsOn: ['gate'], wait: { forMs: 500 } },
        { id: 'broken', kind: 'agent', dependsOn: ['pause'], agent: { role: 'r', goal: 'fail', input: 'fail', model: 'anthropic:claude-none' }, onFailure: { fallback: 'spare' } },
        { id: 'spare', kind: 'agent', fallbackOnly: true, agent: { role: 'r', goal: 'stand in', input: 'spare', model: 'scripted:1' } },
        { id: 'retried', kind: 'agent', dependsOn: ['broken'], agent: { role: 'r', goal: 'fail twice', input: 'x', model: 'anthropic:claude-none' }, onFailure: { retry: 1 } },
      ],
    },
    steer: async (api, id) => {
      for (let i = 0; i < 100; i++) {
        const crew = (await (await authed(`${api}/crews/${id}`)).json()) as { nodes: Array<{ id: string; status: string }> };
        if (crew.nodes.find((n) => n.id === 'gate')?.status === 'waiting') break;
        await Bun.sleep(100);
      }
      await post(`${api}/crews/${id}/gates/gate`, { approved: true, approver: 'recorder' });
    },
  },
  {
    file: 'crew-foreach',
    path: '/crews',
    body: { name: 'replay foreach', nodes: [{ id: 'each', kind: 'foreach', foreach: { items: ['a', 'b', 'c', 'd', 'e'], concurrency: 2, agent: { role: 'r', goal: 'one item', input: 'do {{item}}', model: 'scripted:1' } } }] },
  },
  {
    file: 'crew-foreach-fanout',
    path: '/crews',
    body: { name: 'replay fanout', nodes: [{ id: 'each', kind: 'foreach', foreach: { items: ['a', 'b', 'c', 'd', 'e'], concurrency: 2, agent: { role: 'r', goal: 'one item', input: 'do {{item}}', model: 'scripted:1' } } }] },
    workflowOf: (id) => `${id}.each.r1a1`,
  },
  {
    file: 'agent-spawns-crew',
    body: { name: 'replay-crew-lead', role: 'a recorder', goal: 'delegate to a crew', input: `CALL spawn_crew ${SUB_CREW}`, model: 'scripted:2', tools: ['spawn_crew'], constraints: { maxTotalTokens: 50_000 } },
  },
  {
    file: 'crew-sub-crew',
    body: { name: 'replay-crew-lead', role: 'a recorder', goal: 'delegate to a crew', input: `CALL spawn_crew ${SUB_CREW}`, model: 'scripted:2', tools: ['spawn_crew'], constraints: { maxTotalTokens: 50_000 } },
    // The sub-crew's own workflow: it reports its spend to the agent that started it.
    workflowOf: async (id, stack) => (await stack.db.db.select({ id: crews.id }).from(crews).where(eq(crews.parentAgentId, id)))[0]!.id,
  },
];

main(async () => {
  // `bun run record-history agent-placed-on-node …` records only the named scenarios; `--traced`
  // records them with the OpenTelemetry interceptors on, into `traced-<name>.json` (replayed like the rest).
  const traced = process.argv.includes('--traced');
  const only = process.argv.slice(2).filter((a) => a !== '--traced');
  const logger = createLogger('warn');
  // Recorded histories stay readable by the replay test, which runs without the codec.
  // Traced: spans go nowhere (the collector port is closed) but every header and span is made as in production.
  const config = loadConfig({ LOG_LEVEL: 'warn', ANTHROPIC_API_KEY: '', AOS_PLAINTEXT_PAYLOADS: 'true', ...(traced ? { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } : {}) });
  const stack = await startStack({ config, logger, database: { pgliteDir: 'memory://' }, devServer: { ui: false }, apiPort: 0 });
  rootKey = stack.bootstrapKey ?? '';
  try {
    if (!rootKey) throw new Error('the recording stack made no root key (is AOS_BOOTSTRAP_KEY set?)');
    for (const scenario of SCENARIOS.filter((s) => only.length === 0 || only.includes(s.file))) {
      const body = typeof scenario.body === 'function' ? scenario.body(stack.nodeId!) : scenario.body;
      const res = await post(`${stack.apiUrl}${scenario.path ?? '/agents'}`, body);
      if (res.status !== 201) throw new Error(`spawn ${scenario.file} answered ${res.status}: ${await res.text()}`);
      const { id, workflow } = (await res.json()) as { id: string; workflow: { runId: string } };
      await scenario.steer?.(stack.apiUrl!, id, stack.nodeId!, stack);
      await stack.client.workflow.getHandle(id).result().catch(() => undefined);
      const recorded = (await scenario.workflowOf?.(id, stack)) ?? id;
      const history = await stack.client.workflow.getHandle(recorded, scenario.firstRun ? workflow.runId : undefined).fetchHistory();
      const path = new URL(`../test/histories/${traced ? 'traced-' : ''}${scenario.file}.json`, import.meta.url).pathname;
      // Long histories are written compact (git compresses them well either way).
      const json = historyToJSON(history);
      writeFileSync(path, `${(history.events?.length ?? 0) > 1_000 ? JSON.stringify(JSON.parse(json)) : json}\n`);
      process.stdout.write(`recorded ${history.events?.length ?? 0} events → ${path}\n`);
    }
  } finally {
    await stack.stop();
  }
});
