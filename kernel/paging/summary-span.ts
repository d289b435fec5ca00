import type { PageMeta } from './types';

/**
 * The span of evicted pages to summarise now: the agent's own message and tool pages older than
 * every selected non-pinned page of the recent window and newer than what earlier summaries cover.
 * Returns [] when nothing new has fallen out of the window.
 */
export function spanToSummarise(evicted: readonly PageMeta[], selected: readonly PageMeta[], summarisedUpTo: number): PageMeta[] {
  const windowStart = Math.min(...selected.filter((p) => !p.pinned && p.kind !== 'summary').map((p) => p.step), Number.POSITIVE_INFINITY);
  return evicted.filter((p) => p.step > summarisedUpTo && p.step < windowStart && (p.kind === 'message' || p.kind === 'tool_result') && !p.pinned);
}
