/**
 * Peer: this kernel, in the same run as the others. The 10-step agent is an `agentWorkflow` on the
 * scripted model (answers at once, like the peers' fake model), started on the client with its agent
 * record written first (no HTTP), on a Temporal dev server this process starts (the kernel's tuning)
 * and an in-process worker, its records in a fresh database on the same local Postgres. Each step
 * stores its reply page, bill, events and checkpoint before the workflow goes on. Bytes per agent
 * count its rows in the kernel's tables and, apart, the size of its Temporal history.
 */
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import postgres from 'postgres';
import { createLogger } from '../../infra/logger';
import { startStack, type Stack } from '../../infra/stack';
import { loadConfig } from '../../kernel/config';
import { TEST_AUTH_ENV } from '../../test/support/keys';
import { scriptedAgent } from '../bench-node';
import { AGENT_INPUT, agentId, concurrent, packageVersion, rowBytes, sequential, STEPS, tablesIn, tablesWithColumn, totalRelationBytes, type AgentBytes, type Peer } from './peer';

const TASK_QUEUE = 'bench-peers-kernel';

/** The kernel as a peer; `historyBytes()` gives the last measured agent's Temporal history size. */
export function createKernelPeer(): Peer & { historyBytes(): number | undefined } {
  let stack: Stack | undefined;
  let sql: postgres.Sql | undefined;
  let tables: string[] = [];
  let lastHistoryBytes: number | undefined;
  const running = () => {
    if (!stack || !sql) throw new Error('kernel peer: setup() first');
    return { stack, sql };
  };
  async function runAgent(id: string): Promise<void> {
    const { stack: s } = running();
    const result = (await (await (await scriptedAgent(s, TASK_QUEUE, id, STEPS, AGENT_INPUT)).start()).result()) as { steps: number };
    if (result.steps !== STEPS) throw new Error(`kernel agent ${id} took ${result.steps} steps`);
  }
  return {
    name: 'kernel',
    version: { 'agent-os-kernel': (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url).pathname, 'utf8')) as { version: string }).version, '@temporalio/worker': packageVersion('@temporalio/worker') },
    durability: 'each step commits its reply page, ledger line, events and the agent row in one Postgres statement, and its checkpoint row, before the activity completes; Temporal records the activity result (a page reference) in the workflow history',
    async setup(url) {
      const config = loadConfig({ LOG_LEVEL: 'error', ...TEST_AUTH_ENV, TASK_QUEUE, LLM_SLOTS: '512' });
      stack = await startStack({ config, logger: createLogger('error'), database: { url, poolSize: 10 }, devServer: { ui: false }, api: false, apiPort: 0 });
      sql = postgres(url, { max: 1, onnotice: () => {} });
      tables = await tablesIn(sql, 'public');
    },
    runSequential: (n) => sequential(n, runAgent, 'kernel'),
    runConcurrent: (n) => concurrent(n, runAgent, 'kernel', () => totalRelationBytes(running().sql, tables)),
    async bytesPerAgent(): Promise<AgentBytes> {
      const { stack: s, sql: db } = running();
      const id = agentId('kernel');
      await runAgent(id);
      const rows = await rowBytes(db, await tablesWithColumn(db, 'public', 'agent_id'), 'agent_id', id);
      const own = await rowBytes(db, ['"public"."agents"'], 'id', id);
      const history = await s.client.workflow.getHandle(id).fetchHistory();
      lastHistoryBytes = temporal.api.history.v1.History.encode(history).finish().length;
      return { rowBytes: rows.rowBytes + own.rowBytes, byTable: { ...rows.byTable, ...own.byTable } };
    },
    historyBytes: () => lastHistoryBytes,
    async teardown() {
      await sql?.end();
      await stack?.stop();
    },
  };
}
