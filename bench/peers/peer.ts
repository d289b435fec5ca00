/**
 * What every peer benchmark shares: the agent being compared (10 steps, each calling a fake
 * in-process model that answers at once and storing the reply durably), the interface each peer
 * implements, and the helpers they use to create their own fresh Postgres database, time agents and
 * measure how many bytes one agent leaves in the peer's tables.
 */
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { createTestDatabase } from '../../test/support/postgres';
import { summarise, type Summary } from '../stats';

/** Steps per agent. */
export const STEPS = 10;

/** What the agent is asked; the same for every peer and every run. */
export const AGENT_INPUT = 'benchmark input';

/** One reply of the fake model: what each step stores. */
export interface ModelReply {
  step: number;
  content: string;
  usage: { promptTokens: number; completionTokens: number };
}

/**
 * The fake model: answers at once (0 ms, no timer), deterministically, with a ~110-byte reply that
 * quotes the latest message. It reads the transcript so the peer must hand it the agent's state.
 */
export async function fakeModel(step: number, input: string, replies: readonly ModelReply[]): Promise<ModelReply> {
  const last = replies.at(-1)?.content ?? input;
  const content = `Step ${step} of ${STEPS}: read ${replies.length + 1} messages, the latest saying "${last.slice(0, 40)}". Continuing.`;
  return { step, content, usage: { promptTokens: 12 + 30 * replies.length, completionTokens: 30 } };
}

/** Bytes one agent leaves in a peer's tables, by two measures. */
export interface AgentBytes {
  /** `sum(pg_column_size(t.*))` over that agent's rows in each of the peer's tables (row data, no index, no page overhead). */
  rowBytes: number;
  /** The same, table by table, with the row count. */
  byTable: Record<string, { rows: number; bytes: number }>;
}

/** Timing of one batch of agents started at once. */
export interface ConcurrentRun {
  agents: number;
  steps: number;
  wallMs: number;
  stepsPerSec: number;
  /** Wall time of each agent from start to result, over the batch. */
  agentMs: Summary;
  /** CPU time of this process (user + system) over the batch, per step: the peer's client-side cost. */
  processCpuMsPerStep: number;
  /** Growth of `sum(pg_total_relation_size)` over the peer's tables across the batch (heap, TOAST, indexes, free space), divided by the agents. */
  totalRelationBytesPerAgent: number;
}

/** A peer system running the 10-step agent against its own fresh database on the local Postgres. */
export interface Peer {
  readonly name: string;
  /** The installed version of the peer's package(s). */
  readonly version: Record<string, string>;
  /** How the peer is made to store each step, in a sentence. */
  readonly durability: string;
  /** Creates the peer's state (schema, tables) in the database at `url`. */
  setup(url: string): Promise<void>;
  /** Runs `n` agents one after the other; returns the wall time of each agent divided by the steps (ms per step). */
  runSequential(n: number): Promise<number[]>;
  /** Starts `n` agents at once and waits for all of them. */
  runConcurrent(n: number): Promise<ConcurrentRun>;
  /** Runs one fresh agent and measures the rows it left. */
  bytesPerAgent(): Promise<AgentBytes>;
  /** Stops the peer and closes its connections (the database is dropped by the caller). */
  teardown(): Promise<void>;
}

/** The version in `node_modules/<pkg>/package.json`. */
export function packageVersion(pkg: string): string {
  const path = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url).pathname;
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** A fresh database `aok_peer_<peer>_<pid>` on the local Postgres, dropped by `drop()`. */
export function createPeerDatabase(peer: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  return createTestDatabase(`aok_peer_${peer}_${process.pid}`);
}

/** A unique agent id. */
let counter = 0;
export function agentId(peer: string): string {
  counter += 1;
  return `${peer}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Runs `n` agents one after the other with `runAgent`; returns ms per step of each. */
export async function sequential(n: number, runAgent: (id: string) => Promise<void>, peer: string): Promise<number[]> {
  const perStep: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await runAgent(agentId(peer));
    perStep.push((performance.now() - t) / STEPS);
  }
  return perStep;
}

/** Starts `n` agents at once with `runAgent` and times the batch; `relationBytes` reads the peer's total table size. */
export async function concurrent(n: number, runAgent: (id: string) => Promise<void>, peer: string, relationBytes: () => Promise<number>): Promise<ConcurrentRun> {
  const before = await relationBytes();
  const agentMs: number[] = [];
  const cpu = process.cpuUsage();
  const t = performance.now();
  await Promise.all(
    Array.from({ length: n }, async () => {
      const id = agentId(peer);
      const s = performance.now();
      await runAgent(id);
      agentMs.push(performance.now() - s);
    }),
  );
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const after = await relationBytes();
  return {
    agents: n,
    steps: n * STEPS,
    wallMs: Math.round(wallMs * 10) / 10,
    stepsPerSec: Math.round(((n * STEPS) / wallMs) * 1000 * 10) / 10,
    agentMs: summarise(agentMs),
    processCpuMsPerStep: Math.round(((used.user + used.system) / 1000 / (n * STEPS)) * 1000) / 1000,
    totalRelationBytesPerAgent: Math.round((after - before) / n),
  };
}

/** `sum(pg_total_relation_size)` over the tables `tables` (schema-qualified), read through `sql`. */
export async function totalRelationBytes(sql: postgres.Sql, tables: readonly string[]): Promise<number> {
  let total = 0;
  for (const table of tables) {
    const [row] = await sql<Array<{ bytes: string }>>`select pg_total_relation_size(${table}::regclass)::text as bytes`;
    total += Number(row?.bytes ?? 0);
  }
  return total;
}

/** `sum(pg_column_size(t.*))` and row count of the rows of each table whose `column` equals `id`. */
export async function rowBytes(sql: postgres.Sql, tables: readonly string[], column: string, id: string): Promise<AgentBytes> {
  const byTable: Record<string, { rows: number; bytes: number }> = {};
  let total = 0;
  for (const table of tables) {
    const [row] = await sql.unsafe<Array<{ rows: string; bytes: string | null }>>(`select count(*)::text as rows, sum(pg_column_size(t.*))::text as bytes from ${table} t where t.${column} = $1`, [id]);
    const bytes = Number(row?.bytes ?? 0);
    byTable[table] = { rows: Number(row?.rows ?? 0), bytes };
    total += bytes;
  }
  return { rowBytes: total, byTable };
}

/** The tables in `schema` that have a column named `column` (the ones that hold per-agent rows). */
export async function tablesWithColumn(sql: postgres.Sql, schema: string, column: string): Promise<string[]> {
  const rows = await sql<Array<{ table_name: string }>>`select table_name from information_schema.columns where table_schema = ${schema} and column_name = ${column} order by table_name`;
  return rows.map((r) => `"${schema}"."${r.table_name}"`);
}

/** All base tables in `schema`. */
export async function tablesIn(sql: postgres.Sql, schema: string): Promise<string[]> {
  const rows = await sql<Array<{ table_name: string }>>`select table_name from information_schema.tables where table_schema = ${schema} and table_type = 'BASE TABLE' order by table_name`;
  return rows.map((r) => `"${schema}"."${r.table_name}"`);
}
