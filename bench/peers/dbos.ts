/**
 * Peer: DBOS Transact (`@dbos-inc/dbos-sdk`), in-process. The 10-step agent is one DBOS workflow
 * whose loop runs each fake-model call as a checkpointed step (`DBOS.runStep`); DBOS writes each
 * step's output to its system database (`operation_outputs`) before the workflow goes on, plus the
 * workflow's status, input and output. The system database is a fresh database on the local
 * Postgres, under DBOS's own `dbos` schema, with a 10-connection pool. Measures ms per step of
 * agents run one after the other, steps/s of agents started at once, and bytes stored per agent.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import postgres from 'postgres';
import { AGENT_INPUT, concurrent, fakeModel, packageVersion, rowBytes, sequential, STEPS, tablesIn, tablesWithColumn, totalRelationBytes, agentId, type ModelReply, type Peer } from './peer';

const SCHEMA = 'dbos';
const POOL_SIZE = 10;

/** The agent: 10 checkpointed model calls; the replies are the workflow's state, rebuilt from step outputs on recovery. */
async function agentFunction(input: string): Promise<string> {
  const replies: ModelReply[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const reply = await DBOS.runStep(() => fakeModel(step, input, replies), { name: 'model' });
    replies.push(reply);
  }
  return replies.at(-1)!.content;
}

const agentWorkflow = DBOS.registerWorkflow(agentFunction, { name: 'agent' });

/** Runs one agent under the workflow id `id` and waits for its result. */
async function runAgent(id: string): Promise<void> {
  const handle = await DBOS.startWorkflow(agentWorkflow, { workflowID: id })(AGENT_INPUT);
  const answer = await handle.getResult();
  if (!answer.startsWith(`Step ${STEPS} of ${STEPS}`)) throw new Error(`dbos agent ${id} ended with "${answer}"`);
}

export function createDbosPeer(): Peer {
  let sql: postgres.Sql | undefined;
  let tables: string[] = [];
  let perAgentTables: string[] = [];
  const db = () => {
    if (!sql) throw new Error('dbos peer: setup() first');
    return sql;
  };
  return {
    name: 'dbos',
    version: { '@dbos-inc/dbos-sdk': packageVersion('@dbos-inc/dbos-sdk') },
    durability: `each DBOS.runStep output is written to ${SCHEMA}.operation_outputs (and awaited) before the next step; workflow status, input and output rows around it`,
    async setup(url) {
      DBOS.setConfig({ name: 'aok-peer-bench', systemDatabaseUrl: url, systemDatabasePoolSize: POOL_SIZE, logLevel: 'error' });
      await DBOS.launch();
      sql = postgres(url, { max: 1, onnotice: () => {} });
      tables = await tablesIn(sql, SCHEMA);
      perAgentTables = await tablesWithColumn(sql, SCHEMA, 'workflow_uuid');
    },
    runSequential: (n) => sequential(n, runAgent, 'dbos'),
    runConcurrent: (n) => concurrent(n, runAgent, 'dbos', () => totalRelationBytes(db(), tables)),
    async bytesPerAgent() {
      const id = agentId('dbos');
      await runAgent(id);
      return rowBytes(db(), perAgentTables, 'workflow_uuid', id);
    },
    async teardown() {
      await DBOS.shutdown();
      await sql?.end();
    },
  };
}
