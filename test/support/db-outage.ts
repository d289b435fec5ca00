import postgres from 'postgres';
import type { Stack } from '../../infra/stack';
import type { Config } from '../../kernel/config';
import { rootFetch } from './keys';
import { startTestStack } from './stack';
import { startTcpProxyProcess } from './tcp-proxy';
import { waitFor } from './wait';

/** One request made while the database was away: what, its answer (or none), how long it took. */
export interface OutageAnswer {
  what: string;
  status: number | 'none';
  ms: number;
  retryAfter: string | null;
}

/** What a database outage under load did: the answers during it, how agents came through, and timings. */
export interface OutageResult {
  answers: OutageAnswer[];
  agents: number;
  steps: number;
  outageMs: number;
  /** Per agent: reply pages, distinct reply steps, ledger reply rows, step.completed events, distinct completed steps, status, step. */
  perAgent: Array<{ id: string; replies: number; replySteps: number; bills: number; completions: number; completionSteps: number; status: string; step: number; finished: boolean }>;
  /** From the database being back to the first step that completed after. */
  firstStepAfterBackMs: number;
  /** From the database being back to every agent finished. */
  allFinishedAfterBackMs: number;
  /** Status of a spawn retried with the same Idempotency-Key after the outage, and how many agents it made in all. */
  retriedSpawn: { status: number; agentsMade: number };
}

/** A kernel on the real Postgres through a proxy that can be cut, and a direct connection to check it. */
export async function outageStack(): Promise<{ stack: Stack & { config: Config; databaseUrl: string | undefined }; proxy: Awaited<ReturnType<typeof startTcpProxyProcess>>; direct: ReturnType<typeof postgres>; stop(): Promise<void> }> {
  // In its own process: the database's network is not in the kernel's event loop.
  const proxy = await startTcpProxyProcess({ hostname: '127.0.0.1', port: 5432 });
  const stack = await startTestStack({
    database: 'postgres',
    viaUrl: (url) => {
      const u = new URL(url);
      u.port = String(proxy.port);
      return u.toString();
    },
  }).catch((err: unknown) => {
    proxy.stop();
    throw err;
  });
  const direct = postgres(stack.databaseUrl!, { max: 2, onnotice: () => {} });
  return {
    stack,
    proxy,
    direct,
    async stop() {
      await proxy.restore();
      // Requests answered at their deadline may still be finishing (the deadline answers, the work goes
      // on): let them end before the stack closes its Temporal connection under them.
      await Bun.sleep(5_000);
      await direct.end();
      await stack.stop();
      proxy.stop();
    },
  };
}

/**
 * Spawns `agents` agents of `steps` scripted steps, cuts the database (or locks its agents table) once they step, keeps asking
 * the API (health, an agent, a keyed spawn) for `outageMs`, restores it, retries the spawn with its
 * key, and waits for every agent to finish; returns what happened, for a test or a benchmark.
 */
export async function databaseOutage(env: Awaited<ReturnType<typeof outageStack>>, options: { agents: number; steps: number; outageMs: number; kind?: 'cut' | 'lock'; key?: string }): Promise<OutageResult> {
  const { stack, proxy, direct } = env;
  const api = (path: string, init?: RequestInit) => rootFetch(`${stack.apiUrl}${path}`, { ...init, signal: AbortSignal.timeout(15_000), headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) } });
  const ids: string[] = [];
  for (let i = 0; i < options.agents; i++) {
    const res = await api('/agents', { method: 'POST', body: JSON.stringify({ name: `load-${i}`, role: 'r', goal: 'g', input: 'go', model: `scripted:${options.steps}:250`, constraints: { maxSteps: options.steps } }) });
    if (res.status !== 201) throw new Error(`spawn answered ${res.status}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const completedSteps = async () => Number((await direct`select count(*)::int as n from agent_events where kind = 'step.completed' and agent_id = any(${ids})`)[0]!.n);
  await waitFor(completedSteps, (n) => n >= options.agents * 2, 60_000, 'the agents to be stepping');

  // `cut`: the database goes away; `lock`: it stays up but holds the agents table locked (a slow database).
  const key = options.key ?? 'spawn-in-outage';
  let release: (() => void) | undefined;
  let locked: Promise<unknown> | undefined;
  if (options.kind === 'lock') {
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let ready: () => void = () => {};
    const taken = new Promise<void>((resolve) => {
      ready = resolve;
    });
    locked = direct.begin(async (tx) => {
      await tx`lock table agents in access exclusive mode`;
      ready();
      await held;
    });
    await taken;
  } else await proxy.cut();
  const answers: OutageAnswer[] = [];
  const probe = async (what: string, init?: RequestInit, path = what) => {
    const t = performance.now();
    try {
      const res = await api(path, init);
      answers.push({ what, status: res.status, ms: Math.round(performance.now() - t), retryAfter: res.headers.get('retry-after') });
      await res.body?.cancel();
    } catch {
      answers.push({ what, status: 'none', ms: Math.round(performance.now() - t), retryAfter: null });
    }
  };
  const spawnBody = JSON.stringify({ name: `after-${key}`, role: 'r', goal: 'g', input: 'hi', model: 'scripted:2' });
  const outageEnds = Date.now() + options.outageMs;
  while (Date.now() < outageEnds) {
    await Promise.all([probe('GET /health', undefined, '/health'), probe('GET /agents/:id', undefined, `/agents/${ids[0]}`), probe('POST /agents', { method: 'POST', headers: { 'idempotency-key': key }, body: spawnBody }, '/agents')]);
    await Bun.sleep(500);
  }
  if (release) {
    release();
    await locked;
  } else await proxy.restore();
  const back = Date.now();

  const retried = await waitFor(() => api('/agents', { method: 'POST', headers: { 'idempotency-key': key }, body: spawnBody }), (r) => r.status === 201, 30_000, 'the spawn to succeed after the outage');
  try {
    await waitFor(
      async () => direct`select status, finished_at from agents where id = any(${ids})`,
      (rows) => rows.length === options.agents && rows.every((r) => r.status === 'completed' && r.finished_at !== null),
      120_000,
      'every agent to finish',
    );
  } catch (err) {
    const stuck = await direct`select id, status, step, hold, finished_at from agents where id = any(${ids}) and (status <> 'completed' or finished_at is null)`;
    for (const row of stuck) {
      const d = await stack.client.workflow.getHandle(row.id).describe().catch((e: unknown) => ({ status: { name: String(e) }, raw: undefined }));
      const pending = (d as { raw?: { pendingActivities?: Array<Record<string, unknown>> } }).raw?.pendingActivities ?? [];
      console.error('STUCK', JSON.stringify(row), d.status.name, JSON.stringify(pending.map((p) => ({ type: (p.activityType as { name?: string })?.name, state: p.state, attempt: p.attempt, lastFailure: (p.lastFailure as { message?: string })?.message, lastStarted: p.lastStartedTime, lastHeartbeat: p.lastHeartbeatTime, scheduled: p.scheduledTime, nextAttempt: p.nextAttemptScheduleTime }))));
    }
    throw err;
  }
  const allFinished = Date.now();
  const firstAfter = Number((await direct`select extract(epoch from min(created_at)) * 1000 as t from agent_events where kind = 'step.completed' and agent_id = any(${ids}) and created_at > to_timestamp(${back / 1000})`)[0]!.t);
  const rows = await direct`
    select a.id, a.status, a.step, a.finished_at is not null as finished,
      (select count(*)::int from context_pages p where p.agent_id = a.id and p.kind = 'message' and p.role = 'assistant') as replies,
      (select count(distinct p.step)::int from context_pages p where p.agent_id = a.id and p.kind = 'message' and p.role = 'assistant') as reply_steps,
      (select count(*)::int from usage_ledger l where l.agent_id = a.id and l.part = 'reply') as bills,
      (select count(*)::int from agent_events e where e.agent_id = a.id and e.kind = 'step.completed') as completions,
      (select count(distinct e.step)::int from agent_events e where e.agent_id = a.id and e.kind = 'step.completed') as completion_steps
    from agents a where a.id = any(${ids}) order by a.id`;
  const made = Number((await direct`select count(*)::int as n from agents where name = ${`after-${key}`}`)[0]!.n);
  return {
    answers,
    agents: options.agents,
    steps: options.steps,
    outageMs: options.outageMs,
    perAgent: rows.map((r) => ({ id: r.id, replies: r.replies, replySteps: r.reply_steps, bills: r.bills, completions: r.completions, completionSteps: r.completion_steps, status: r.status, step: Number(r.step), finished: r.finished })),
    firstStepAfterBackMs: Math.round(firstAfter - back),
    allFinishedAfterBackMs: allFinished - back,
    retriedSpawn: { status: retried.status, agentsMade: made },
  };
}
