import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { emitEvent } from '../../db/events';
import type { PubSub } from '../../db/notify';
import { bill, discardedPart } from '../../db/ledger';
import { fenceCheck } from '../../db/fence';
import { fencedOut } from '../step-claim';
import { findPage, readPromptPages, toPageRef, writePage } from '../../db/pages';
import { candidatePages, firstWaveColumns, firstWaveOf, FRAMING_TOKENS, type Candidates, type FirstWave, type PageScope, type VectorRetrieval } from '../../db/retrieval';
import { contextPages } from '../../db/schema';
import { rowsOf } from '../../db/raw-rows';
import { buildMessages, systemPrompt, type AgentIdentity, type PromptPage } from '../../kernel/agent/prompt';
import { costUsd } from '../../kernel/cost/prices';
import { priceOf } from '../../kernel/cost/price-table';
import { contextWindow } from '../../kernel/llm/context-windows';
import { countTextTokens } from '../../kernel/llm/tokens';
import type { ChatMessage, ToolSchema } from '../../kernel/llm/types';
import { assemble } from '../../kernel/paging/assemble';
import { extractiveSummary } from '../../kernel/paging/extractive-summary';
import { pagesToSummarise } from '../../kernel/paging/summary-span';
import { prefixStability, type MessageFingerprint } from '../../kernel/paging/prefix-stability';
import type { PageReason } from '../../kernel/paging/types';

/** Per-message framing tokens charged to every page in the budget (one constant with retrieval's). */
const MESSAGE_OVERHEAD = FRAMING_TOKENS;
const SUMMARY_TOKENS = 400;

/** Memory-pressure thresholds (share of the page budget the agent's pages fill). */
export interface PressureThresholds {
  warn: number;
  flush: number;
}

/** What the context of one step is built from. */
export interface ContextRequest {
  agentId: string;
  agent: AgentIdentity;
  scope: PageScope;
  step: number;
  model: string;
  maxTokens: number;
  tools: ToolSchema[];
  /** Overrides the model's context window (forces paging in small tests). */
  contextTokens?: number;
  pressure: PressureThresholds;
  /** Vector retrieval, where pgvector exists and an embedding model is configured. */
  vectors?: VectorRetrieval;
  /** Summarises paged-out spans with the agent's model; absent (offline) → extractive. */
  summariser?: Summariser;
  /** Who a model-written summary is billed to (the agent's tenant and timeline). */
  billing: { tenant: string; branch: number };
  /** The step attempt's fencing token: a summary commits only while it holds (see db/fence.ts). */
  fence?: number;
}

/** A model-backed summariser: text in, summary and the tokens it cost out. */
export type Summariser = (text: string, maxTokens: number) => Promise<{ text: string; usage: { promptTokens: number; completionTokens: number } }>;

/** Per-step memory metrics, stored on the reply page and shown by the API. */
export interface ContextMetrics {
  window: number;
  pageBudget: number;
  promptTokens: number;
  tokensByKind: Record<string, number>;
  pagesIn: number;
  pagesOut: number;
  pageFaults: number;
  retrievalMs: number;
  pressure: number;
  prefixStability: number;
  summarised: number;
  /** Tokens the model spent summarising paged-out pages this step (charged to the step). */
  summaryUsage: { promptTokens: number; completionTokens: number };
  /** The pages the prompt held, in prompt order, each with why the policy took it. */
  pages: Array<{ id: string; why: PageReason }>;
}

/** The assembled prompt with its metrics and fingerprints (for the next step's prefix stability). */
export interface BuiltContext {
  messages: ChatMessage[];
  /** The pages in the window, by id (their access statistics are refreshed when the step commits). */
  window: string[];
  promptTokens: number;
  metrics: ContextMetrics;
  fingerprints: MessageFingerprint[];
}

/** What the reads of a step's context depend on (no fence: they write nothing). */
export type GatherRequest = Pick<ContextRequest, 'agentId' | 'agent' | 'scope' | 'step' | 'model' | 'maxTokens' | 'tools' | 'contextTokens' | 'vectors'>;

/** A step's context as read from Postgres, before anything is chosen or written. */
export interface Gathered {
  window: number;
  system: string;
  toolTokens: number;
  pageBudget: number;
  stats: PageStats;
  candidates: Candidates;
  retrievalMs: number;
}

/**
 * The reads of a step's context, in one statement for most agents: what the step needs to know about
 * the agent's own pages, and the candidates (with the bodies of the newest);
 * ranking, when anything must be left out, waits only on the focus text. Writes nothing, so it can
 * run before the step's claim returns.
 */
export async function gatherContext(db: Db, req: GatherRequest): Promise<Gathered> {
  const window = req.contextTokens ?? contextWindow(req.model);
  const system = systemPrompt(req.agent);
  const toolTokens = req.tools.length ? memoTokens(JSON.stringify(req.tools)) : 0;
  const prefixTokens = 3 + MESSAGE_OVERHEAD + memoTokens(system) + toolTokens;
  const pageBudget = window - req.maxTokens - prefixTokens;
  if (pageBudget <= 0) {
    throw ApplicationFailure.nonRetryable(`the context window (${window}) cannot hold the prompt prefix (${prefixTokens}) and the output reserve (${req.maxTokens})`, 'ContextTooSmall');
  }
  const started = performance.now();
  // One statement: the agent's page statistics and the candidates' first wave.
  const read = statsAndFirstWave(db, req.agentId, req.step, req.scope, pageBudget);
  read.catch(() => undefined);
  // Ranking may never ask for the focus text (everything fits): its promise must not fail unhandled.
  const focus = read.then(({ stats }) => stats.focus.slice(0, 4_000));
  focus.catch(() => undefined);
  const candidates = await candidatePages(db, req.scope, focus, pageBudget, 200, req.vectors, read.then(({ wave }) => wave));
  const { stats } = await read;
  return { window, system, toolTokens, pageBudget, stats, candidates, retrievalMs: Math.round((performance.now() - started) * 10) / 10 };
}

/**
 * Builds one step's prompt inside the model's window: a stable prefix (system prompt, tool schemas,
 * pinned pages), then the pages the kernel's policy picks (relevance to the latest pages, recency,
 * importance) and the recent window, in chronological order. Pages that fall out of the window are
 * summarised into summary pages once memory pressure reaches the flush threshold. `gathered` is the
 * result of {@link gatherContext} for this request when the caller started it early.
 */
export async function buildContext(db: Db, pubsub: PubSub, req: ContextRequest, gathered?: Promise<Gathered>): Promise<BuiltContext> {
  const { window, system, toolTokens, pageBudget, stats, candidates, retrievalMs } = await (gathered ?? gatherContext(db, req));
  const { pages, relevance, loaded } = candidates;
  const charged = pages.map((p) => ({ ...p, tokens: p.tokens + MESSAGE_OVERHEAD }));
  const assembly = assemble({ budget: pageBudget, pages: charged, relevance, currentStep: req.step });

  const { total, count } = stats;
  const pressure = Math.round((total / pageBudget) * 1000) / 1000;
  if (pressure >= req.pressure.warn) await emitEvent(db, pubsub, { agentId: req.agentId, step: req.step, kind: 'memory.pressure', data: { pressure, pageBudget, tokens: total } });
  const summary = pressure >= req.pressure.flush ? await summariseEvicted(db, req, assembly.pages) : { pages: 0, usage: NO_USAGE };

  const rows = await readPromptPages(db, assembly.pages.map((p) => p.id), loaded);
  const messages = buildMessages(req.agent, rows.map((r): PromptPage => ({ ...toPageRef(r), body: r.body, meta: r.meta as PromptPage['meta'] })));
  // Counted from the tokens stored with each page when it was written: the context is never re-tokenized.
  const systemTokens = memoTokens(system);
  const promptTokens = 3 + MESSAGE_OVERHEAD + systemTokens + toolTokens + rows.reduce((n, r, i) => n + MESSAGE_OVERHEAD + r.tokens + framingOf(messages[i + 1]!, r.body), 0);
  const fingerprints = [
    { hash: hashOf(JSON.stringify(req.tools)), tokens: toolTokens + MESSAGE_OVERHEAD },
    { hash: hashOf(system), tokens: systemTokens + MESSAGE_OVERHEAD },
    ...rows.map((r, i) => ({ hash: hashOf(`${r.id}|${renderingOf(messages[i + 1]!)}`), tokens: r.tokens + MESSAGE_OVERHEAD })),
  ];
  const tokensByKind: Record<string, number> = { system: systemTokens, tools: toolTokens };
  for (const r of rows) tokensByKind[r.kind] = (tokensByKind[r.kind] ?? 0) + r.tokens;
  return {
    messages,
    promptTokens,
    fingerprints,
    window: rows.map((r) => r.id),
    metrics: {
      window,
      pageBudget,
      promptTokens,
      tokensByKind,
      pagesIn: rows.length,
      pagesOut: count - rows.length,
      pageFaults: stats.faults,
      retrievalMs,
      pressure,
      prefixStability: prefixStability(stats.fingerprints ?? undefined, fingerprints),
      summarised: summary.pages,
      summaryUsage: summary.usage,
      pages: rows.map((r) => ({ id: r.id, why: assembly.reasons?.get(r.id) ?? 'ranked' })),
    },
  };
}

/** What a step reads about the agent's own pages, in one statement. */
export interface PageStats {
  /** Tokens (with framing) and number of the agent's own pages. */
  total: number;
  count: number;
  /** `recall` results of the previous step: pages it faulted in. */
  faults: number;
  /** The previous prompt's fingerprints (for prefix stability). */
  fingerprints: MessageFingerprint[] | null;
  /** The newest two non-summary pages: what relevance is ranked against. */
  focus: string;
}

/** The agent's page statistics and the first wave of its candidates (see `firstWaveColumns`), in one statement. */
async function statsAndFirstWave(db: Db, agentId: string, step: number, scope: PageScope, pageBudget: number): Promise<{ stats: PageStats; wave: FirstWave }> {
  const own = sql`${contextPages} where ${contextPages.agentId} = ${agentId}`;
  const result = await db.execute(sql`
    select
      (select coalesce(sum(tokens + ${MESSAGE_OVERHEAD}), 0)::int from ${own}) as total,
      (select count(*)::int from ${own}) as count,
      (select count(*)::int from ${own} and step = ${step - 1} and meta->>'toolName' = 'recall') as faults,
      (select coalesce(step_metrics->'fingerprints', meta->'fingerprints') from ${own} and step = ${step - 1} and purpose = 'reply' limit 1) as fingerprints,
      (select coalesce(string_agg(body, E'\n' order by s desc, c desc), '') from (select body, step as s, created_at as c from ${own} and kind <> 'summary' order by step desc, created_at desc limit 2) latest) as focus,
      ${firstWaveColumns(scope, pageBudget)}`);
  const [row] = rowsOf<{ total: number; count: number; faults: number; fingerprints: MessageFingerprint[] | string | null; focus: string; standing: unknown; newest: unknown }>(result);
  const fingerprints = typeof row?.fingerprints === 'string' ? (JSON.parse(row.fingerprints) as MessageFingerprint[]) : (row?.fingerprints ?? null);
  return { stats: { total: Number(row?.total ?? 0), count: Number(row?.count ?? 0), faults: Number(row?.faults ?? 0), fingerprints, focus: row?.focus ?? '' }, wave: firstWaveOf(row) };
}

/** Tokens a message's rendering adds beyond its page's stored count (a result shown without its call gets a lead-in). */
function framingOf(m: ChatMessage, body: string): number {
  return m.content.length > body.length ? memoTokens(m.content.slice(0, m.content.length - body.length)) : 0;
}

/** How a page was rendered (a call without its result, or a result without its call, is rendered as text). */
function renderingOf(m: ChatMessage): string {
  return `${m.role}${m.role === 'assistant' && m.toolCalls ? '+calls' : ''}`;
}

function hashOf(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 12);
}

/** Token counts of the strings every step repeats (system prompts, tool schemas, lead-ins), remembered. */
const tokenMemo = new Map<string, number>();
function memoTokens(text: string): number {
  const known = tokenMemo.get(text);
  if (known !== undefined) return known;
  const n = countTextTokens(text);
  if (tokenMemo.size >= 1_024) tokenMemo.delete(tokenMemo.keys().next().value!);
  tokenMemo.set(text, n);
  return n;
}

const NO_USAGE = { promptTokens: 0, completionTokens: 0 };

/** Writes a summary page for the agent's pages that are out of the window and not yet summarised. */
async function summariseEvicted(db: Db, req: ContextRequest, selected: ReadonlyArray<{ id: string }>): Promise<{ pages: number; usage: { promptTokens: number; completionTokens: number } }> {
  const purpose = `summary:${req.step}`;
  // Written by an earlier attempt of this step: it is still this step's cost (billed once, when written).
  const earlier = await findPage(db, req.agentId, req.step, purpose);
  if (earlier) return { pages: 0, usage: (earlier.meta as { usage?: typeof NO_USAGE }).usage ?? NO_USAGE };
  const own = await db
    .select({ id: contextPages.id, step: contextPages.step, kind: contextPages.kind, pinned: contextPages.pinned, importance: contextPages.importance, body: contextPages.body, summarisedIn: sql<string | null>`${contextPages.meta}->>'summarisedIn'` })
    .from(contextPages)
    .where(and(eq(contextPages.agentId, req.agentId), lt(contextPages.step, req.step), eq(contextPages.retired, false), inArray(contextPages.kind, ['message', 'tool_result'])))
    .orderBy(contextPages.step)
    .limit(2_000);
  const span = pagesToSummarise(own, new Set(selected.map((p) => p.id)));
  if (span.length === 0) return { pages: 0, usage: NO_USAGE };
  const rows = own.filter((p) => span.some((s) => s.id === p.id));
  const from = rows[0]!.step;
  const to = rows.at(-1)!.step;
  let body = extractiveSummary(rows, SUMMARY_TOKENS);
  let method = 'extractive';
  let usage = NO_USAGE;
  if (req.summariser) {
    try {
      const excerpt = rows.map((p) => `[${p.step}] ${p.body}`).join('\n').slice(0, 40_000);
      const out = await req.summariser(excerpt, SUMMARY_TOKENS);
      body = `Summary of steps ${from}–${to} (${rows.length} pages, paged out):\n${out.text.trim()}`;
      method = 'model';
      usage = out.usage;
    } catch {
      // The model failed: the extractive summary stands in, so nothing is dropped.
    }
  }
  // The summary, its bill and the marks on what it covers commit together: the tokens are spent now,
  // whether or not this step later completes (it may stop at its budget or be killed).
  const summary = await db.transaction(async (tx) => {
    const refusal = req.fence === undefined ? null : await fenceCheck(tx, req.agentId, req.fence);
    if (refusal) {
      if (usage.promptTokens + usage.completionTokens > 0) {
        await bill(tx, { agentId: req.agentId, branch: req.billing.branch, step: req.step, part: discardedPart('summary', refusal, req.fence!), tenant: req.billing.tenant, model: req.model, ...usage, costUsd: costUsd(priceOf(req.model), usage.promptTokens, usage.completionTokens) });
      }
      return refusal;
    }
    const written = await writePage(tx, { agentId: req.agentId, step: req.step, purpose, kind: 'summary', role: 'user', body, importance: 0.7, meta: { fromStep: from, toStep: to, pages: rows.length, method, covers: rows.map((p) => p.id), usage } });
    if (usage.promptTokens + usage.completionTokens > 0) {
      await bill(tx, { agentId: req.agentId, branch: req.billing.branch, step: req.step, part: 'summary', tenant: req.billing.tenant, model: req.model, ...usage, costUsd: costUsd(priceOf(req.model), usage.promptTokens, usage.completionTokens) });
    }
    await tx
      .update(contextPages)
      .set({ meta: sql`${contextPages.meta} || ${JSON.stringify({ summarisedIn: written.id })}::jsonb` })
      .where(inArray(contextPages.id, rows.map((p) => p.id)));
    return written;
  });
  if (typeof summary === 'string') throw fencedOut(req.agentId, req.step, summary);
  return { pages: rows.length, usage };
}
