import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { and, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { emitEvent } from '../../db/events';
import type { PubSub } from '../../db/notify';
import { findPage, readPages, toPageRef, writePage } from '../../db/pages';
import { candidatePages, type PageScope, type VectorRetrieval } from '../../db/retrieval';
import { contextPages } from '../../db/schema';
import { buildMessages, systemPrompt, type AgentIdentity, type PromptPage } from '../../kernel/agent/prompt';
import { contextWindow } from '../../kernel/llm/context-windows';
import { countChatTokens, countTextTokens } from '../../kernel/llm/tokens';
import type { ChatMessage, ToolSchema } from '../../kernel/llm/types';
import { assemble } from '../../kernel/paging/assemble';
import { extractiveSummary } from '../../kernel/paging/extractive-summary';
import { prefixStability, type MessageFingerprint } from '../../kernel/paging/prefix-stability';

/** Per-message framing tokens charged to every page in the budget. */
const MESSAGE_OVERHEAD = 4;
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
}

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
}

/** The assembled prompt with its metrics and fingerprints (for the next step's prefix stability). */
export interface BuiltContext {
  messages: ChatMessage[];
  promptTokens: number;
  metrics: ContextMetrics;
  fingerprints: MessageFingerprint[];
}

function fingerprint(m: ChatMessage | { role: 'tools'; content: string }): MessageFingerprint {
  const hash = createHash('sha1').update(JSON.stringify(m)).digest('hex').slice(0, 12);
  const calls = 'toolCalls' in m && m.toolCalls ? JSON.stringify(m.toolCalls) : '';
  return { hash, tokens: countTextTokens(m.content + calls) + MESSAGE_OVERHEAD };
}

/**
 * Builds one step's prompt inside the model's window: a stable prefix (system prompt, tool schemas,
 * pinned pages), then the pages the kernel's policy picks (relevance to the latest pages, recency,
 * importance) and the recent window, in chronological order. Pages that fall out of the window are
 * summarised into summary pages once memory pressure reaches the flush threshold.
 */
export async function buildContext(db: Db, pubsub: PubSub, req: ContextRequest): Promise<BuiltContext> {
  const window = req.contextTokens ?? contextWindow(req.model);
  const system = systemPrompt(req.agent);
  const toolTokens = req.tools.length ? countTextTokens(JSON.stringify(req.tools)) : 0;
  const prefixTokens = 3 + MESSAGE_OVERHEAD + countTextTokens(system) + toolTokens;
  const pageBudget = window - req.maxTokens - prefixTokens;
  if (pageBudget <= 0) {
    throw ApplicationFailure.nonRetryable(`the context window (${window}) cannot hold the prompt prefix (${prefixTokens}) and the output reserve (${req.maxTokens})`, 'ContextTooSmall');
  }

  const started = performance.now();
  const latest = await db.select({ body: contextPages.body }).from(contextPages).where(and(eq(contextPages.agentId, req.agentId), sql`${contextPages.kind} <> 'summary'`)).orderBy(desc(contextPages.step), desc(contextPages.createdAt)).limit(2);
  const focus = latest.map((p) => p.body).join('\n').slice(0, 4_000);
  const { pages, relevance } = await candidatePages(db, req.scope, focus, pageBudget, 200, req.vectors);
  const retrievalMs = Math.round((performance.now() - started) * 10) / 10;
  const charged = pages.map((p) => ({ ...p, tokens: p.tokens + MESSAGE_OVERHEAD }));
  const assembly = assemble({ budget: pageBudget, pages: charged, relevance, currentStep: req.step });

  const [{ total, count } = { total: 0, count: 0 }] = await db
    .select({ total: sql<number>`coalesce(sum(${contextPages.tokens} + ${MESSAGE_OVERHEAD}), 0)::int`, count: sql<number>`count(*)::int` })
    .from(contextPages)
    .where(eq(contextPages.agentId, req.agentId));
  const pressure = Math.round((total / pageBudget) * 1000) / 1000;
  if (pressure >= req.pressure.warn) await emitEvent(db, pubsub, { agentId: req.agentId, step: req.step, kind: 'memory.pressure', data: { pressure, pageBudget, tokens: total } });
  const summarised = pressure >= req.pressure.flush ? await summariseEvicted(db, req, assembly.pages) : 0;

  const rows = await readPages(db, assembly.pages.map((p) => p.id));
  const messages = buildMessages(req.agent, rows.map((r): PromptPage => ({ ...toPageRef(r), body: r.body, meta: r.meta as PromptPage['meta'] })));
  if (rows.length > 0) {
    await db
      .update(contextPages)
      .set({ lastAccessStep: req.step, accessCount: sql`${contextPages.accessCount} + 1` })
      .where(inArray(contextPages.id, rows.map((r) => r.id)));
  }

  const promptTokens = countChatTokens(messages) + toolTokens;
  const fingerprints = [fingerprint({ role: 'tools', content: JSON.stringify(req.tools) }), ...messages.map(fingerprint)];
  const previous = await findPage(db, req.agentId, req.step - 1, 'reply');
  const faults = await db.select({ n: sql<number>`count(*)::int` }).from(contextPages).where(and(eq(contextPages.agentId, req.agentId), eq(contextPages.step, req.step - 1), sql`${contextPages.meta}->>'toolName' = 'recall'`));
  const tokensByKind: Record<string, number> = { system: countTextTokens(system), tools: toolTokens };
  for (const r of rows) tokensByKind[r.kind] = (tokensByKind[r.kind] ?? 0) + r.tokens;
  return {
    messages,
    promptTokens,
    fingerprints,
    metrics: {
      window,
      pageBudget,
      promptTokens,
      tokensByKind,
      pagesIn: rows.length,
      pagesOut: count - rows.length,
      pageFaults: faults[0]?.n ?? 0,
      retrievalMs,
      pressure,
      prefixStability: prefixStability((previous?.meta as { fingerprints?: MessageFingerprint[] } | undefined)?.fingerprints, fingerprints),
      summarised,
    },
  };
}

/** Writes a summary page for the agent's pages that fell out of the window since the last summary. */
async function summariseEvicted(db: Db, req: ContextRequest, selected: ReadonlyArray<{ step: number; pinned: boolean; kind: string }>): Promise<number> {
  const windowStart = Math.min(...selected.filter((p) => !p.pinned && p.kind !== 'summary').map((p) => p.step), req.step);
  const [{ upTo } = { upTo: 0 }] = await db
    .select({ upTo: sql<number>`coalesce(max((${contextPages.meta}->>'toStep')::int), 0)::int` })
    .from(contextPages)
    .where(and(eq(contextPages.agentId, req.agentId), eq(contextPages.kind, 'summary')));
  if (windowStart - 1 <= upTo) return 0;
  const span = await db
    .select({ step: contextPages.step, importance: contextPages.importance, body: contextPages.body })
    .from(contextPages)
    .where(and(eq(contextPages.agentId, req.agentId), gt(contextPages.step, upTo), lt(contextPages.step, windowStart), inArray(contextPages.kind, ['message', 'tool_result']), eq(contextPages.pinned, false)))
    .orderBy(contextPages.step);
  if (span.length === 0) return 0;
  const from = span[0]!.step;
  const to = span.at(-1)!.step;
  await writePage(db, {
    agentId: req.agentId,
    step: req.step,
    purpose: `summary:${from}-${to}`,
    kind: 'summary',
    role: 'user',
    body: extractiveSummary(span, SUMMARY_TOKENS),
    importance: 0.7,
    meta: { fromStep: from, toStep: to, pages: span.length, method: 'extractive' },
  });
  return span.length;
}
