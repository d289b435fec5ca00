/**
 * Peer: LangGraph JS (`@langchain/langgraph`) with its Postgres checkpointer
 * (`@langchain/langgraph-checkpoint-postgres`), in-process. The 10-step agent is a StateGraph with
 * one `model` node that calls the fake model and appends its reply to the state, looping back to
 * itself until 10 replies are in; it is compiled with `PostgresSaver` on a fresh database on the
 * local Postgres (tables in `public`, the pg default pool of 10 connections) and invoked with
 * `durability: "sync"`, so each super-step's checkpoint is written before the next step starts.
 * Measures ms per step of agents run one after the other, steps/s of agents started at once, and
 * bytes stored per agent (one thread).
 */
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import postgres from 'postgres';
import { AGENT_INPUT, agentId, concurrent, fakeModel, packageVersion, rowBytes, sequential, STEPS, tablesIn, tablesWithColumn, totalRelationBytes, type ModelReply, type Peer } from './peer';

const SCHEMA = 'public';

/** The agent's state: its input and the replies so far (appended by a reducer). */
const AgentState = Annotation.Root({
  input: Annotation<string>(),
  replies: Annotation<ModelReply[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** The graph: START → model → (model again | END after 10 replies). */
function buildGraph(checkpointer: PostgresSaver) {
  return new StateGraph(AgentState)
    .addNode('model', async (state) => ({ replies: [await fakeModel(state.replies.length + 1, state.input, state.replies)] }))
    .addEdge(START, 'model')
    .addConditionalEdges('model', (state) => (state.replies.length < STEPS ? 'model' : END), ['model', END])
    .compile({ checkpointer });
}

export function createLangGraphPeer(): Peer {
  let saver: PostgresSaver | undefined;
  let graph: ReturnType<typeof buildGraph> | undefined;
  let sql: postgres.Sql | undefined;
  let tables: string[] = [];
  let perAgentTables: string[] = [];
  const db = () => {
    if (!sql) throw new Error('langgraph peer: setup() first');
    return sql;
  };
  /** Runs one agent on the thread `id` and checks it took 10 steps. */
  const runAgent = async (id: string): Promise<void> => {
    if (!graph) throw new Error('langgraph peer: setup() first');
    const final = await graph.invoke({ input: AGENT_INPUT }, { configurable: { thread_id: id }, durability: 'sync', recursionLimit: 4 * STEPS });
    if (final.replies.length !== STEPS) throw new Error(`langgraph agent ${id} ended after ${final.replies.length} steps`);
  };
  return {
    name: 'langgraph',
    version: {
      '@langchain/langgraph': packageVersion('@langchain/langgraph'),
      '@langchain/langgraph-checkpoint-postgres': packageVersion('@langchain/langgraph-checkpoint-postgres'),
      '@langchain/langgraph-checkpoint': packageVersion('@langchain/langgraph-checkpoint'),
      '@langchain/core': packageVersion('@langchain/core'),
    },
    durability: 'invoke option durability: "sync" (supported since langgraph 0.4 / 1.x): each super-step checkpoint (checkpoints, checkpoint_blobs, checkpoint_writes) is written and awaited before the next step starts',
    async setup(url) {
      saver = PostgresSaver.fromConnString(url);
      await saver.setup();
      graph = buildGraph(saver);
      sql = postgres(url, { max: 1, onnotice: () => {} });
      tables = await tablesIn(sql, SCHEMA);
      perAgentTables = await tablesWithColumn(sql, SCHEMA, 'thread_id');
    },
    runSequential: (n) => sequential(n, runAgent, 'langgraph'),
    runConcurrent: (n) => concurrent(n, runAgent, 'langgraph', () => totalRelationBytes(db(), tables)),
    async bytesPerAgent() {
      const id = agentId('langgraph');
      await runAgent(id);
      return rowBytes(db(), perAgentTables, 'thread_id', id);
    },
    async teardown() {
      await saver?.end();
      await sql?.end();
    },
  };
}
