import { and, eq, inArray, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { countTextTokensAsync } from '../kernel/llm/tokens';
import type { PageRef } from '../kernel/agent/state';
import { pageId } from '../kernel/agent/prompt';
import type { Db } from './client';
import { contextPages } from './schema';

/** A page to write: its owner, place, content and classification. */
export interface NewPage {
  agentId: string;
  step: number;
  purpose: string;
  kind: PageRef['kind'];
  role: PageRef['role'];
  body: string;
  importance?: number;
  pinned?: boolean;
  meta?: Record<string, unknown>;
  /** A reply's step diagnostics (see `context_pages.step_metrics`). */
  stepMetrics?: Record<string, unknown>;
  /** Prompt tokens this page costs when it is more than its body (e.g. a reply with tool calls). */
  tokens?: number;
}

/** A stored page row. */
export type PageRow = typeof contextPages.$inferSelect;

/** Converts a stored page to the reference the workflow keeps. */
export function toPageRef(row: Pick<PageRow, 'id' | 'kind' | 'role' | 'tokens' | 'step'>): PageRef {
  return { id: row.id, kind: row.kind as PageRef['kind'], role: row.role as PageRef['role'], tokens: row.tokens, step: row.step };
}

/**
 * Writes a page keyed by (agent, step, purpose). A retried write returns the page already there,
 * unchanged, so an activity that runs twice stores one page.
 */
export async function writePage(db: Db, page: NewPage): Promise<PageRow> {
  const id = pageId(page.agentId, page.step, page.purpose);
  // Counted without holding the event loop: a page may be a megabyte of text.
  const tokens = page.tokens ?? (await countTextTokensAsync(page.body));
  const inserted = await db
    .insert(contextPages)
    .values({
      id,
      agentId: page.agentId,
      step: page.step,
      purpose: page.purpose,
      kind: page.kind,
      role: page.role,
      body: page.body,
      tokens,
      importance: page.importance ?? 0.5,
      pinned: page.pinned ?? false,
      lastAccessStep: page.step,
      meta: page.meta ?? {},
      stepMetrics: page.stepMetrics ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted[0]) return inserted[0];
  const existing = await findPage(db, page.agentId, page.step, page.purpose);
  if (!existing) throw new Error(`page ${id} conflicted but cannot be read back`);
  return existing;
}

/** The page an agent wrote at a step for a purpose, if any. */
export async function findPage(db: Db, agentId: string, step: number, purpose: string): Promise<PageRow | undefined> {
  const rows = await db
    .select()
    .from(contextPages)
    .where(and(eq(contextPages.agentId, agentId), eq(contextPages.step, step), eq(contextPages.purpose, purpose)))
    .limit(1);
  return rows[0];
}

/** Reads pages by id, returned in the order of `ids`; throws if any is missing. */
export async function readPages(db: Db, ids: readonly string[]): Promise<PageRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.select().from(contextPages).where(inArray(contextPages.id, [...ids]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id);
    if (!row) throw new Error(`page ${id} is in the page table but not in the database`);
    return row;
  });
}

/** What a prompt needs of a page (no full-text vector, no bookkeeping). */
export type PromptRow = Pick<PageRow, 'id' | 'kind' | 'role' | 'tokens' | 'step' | 'body' | 'meta'>;

/**
 * What a prompt reads of a page's meta: the tool-call fields, never the rest (a reply's meta also
 * holds its step's metrics and fingerprints, which grow with the window: read whole, every step
 * would parse them for every page in it).
 */
export function promptMeta(meta: SQL | AnyColumn = contextPages.meta): SQL<Record<string, unknown>> {
  const field = (key: string) => sql`case when ${meta} ? ${sql.raw(`'${key}'`)} then jsonb_build_object(${sql.raw(`'${key}'`)}, ${meta}->${sql.raw(`'${key}'`)}) else '{}'::jsonb end`;
  return sql<Record<string, unknown>>`(${field('toolCalls')} || ${field('toolCallId')} || ${field('toolName')})`;
}

/** The columns of a {@link PromptRow}. */
export const PROMPT_COLUMNS = {
  id: contextPages.id,
  kind: contextPages.kind,
  role: contextPages.role,
  tokens: contextPages.tokens,
  step: contextPages.step,
  body: contextPages.body,
  meta: promptMeta(),
};

/** Reads pages for a prompt by id, in the order of `ids`, taking those in `loaded` from there; throws if any is missing. */
export async function readPromptPages(db: Db, ids: readonly string[], loaded: ReadonlyMap<string, PromptRow> = new Map()): Promise<PromptRow[]> {
  const missing = ids.filter((id) => !loaded.has(id));
  // One JSON parameter, not an IN list: the same statement text (one prepared statement) for any number of pages.
  const rows = missing.length ? await db.select(PROMPT_COLUMNS).from(contextPages).where(sql`${contextPages.id} in (select jsonb_array_elements_text(${JSON.stringify(missing)}::jsonb))`) : [];
  const byId = new Map<string, PromptRow>([...loaded, ...rows.map((r): [string, PromptRow] => [r.id, r])]);
  return ids.map((id) => {
    const row = byId.get(id);
    if (!row) throw new Error(`page ${id} is in the page table but not in the database`);
    return row;
  });
}
