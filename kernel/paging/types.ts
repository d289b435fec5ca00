/** What the paging policy knows of a page (never its body). */
export interface PageMeta {
  id: string;
  kind: string;
  tokens: number;
  /** The step that wrote it (chronological order). */
  step: number;
  importance: number;
  pinned: boolean;
  lastAccessStep: number;
}

/** Why the policy took a page into the window: pinned, the recent window, or ranked by its blended score. */
export type PageReason = 'pinned' | 'recent' | 'ranked';

/** A working set chosen for one model call. */
export interface Assembly {
  /** Selected pages in chronological order. */
  pages: PageMeta[];
  tokens: number;
  /** Pages left out (candidates for summarisation). */
  evicted: PageMeta[];
  /** Why each selected page was taken, by id (when the policy says). */
  reasons?: ReadonlyMap<string, PageReason>;
}

/** Sorts pages into chronological order (step, then id for ties). */
export function chronological(pages: readonly PageMeta[]): PageMeta[] {
  return [...pages].sort((a, b) => a.step - b.step || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Splits pages into chosen (by id set, or by id with the reason each was taken) and evicted, both chronological. */
export function finish(all: readonly PageMeta[], chosen: ReadonlySet<string> | ReadonlyMap<string, PageReason>): Assembly {
  const pages = chronological(all.filter((p) => chosen.has(p.id)));
  const assembly: Assembly = { pages, tokens: pages.reduce((n, p) => n + p.tokens, 0), evicted: chronological(all.filter((p) => !chosen.has(p.id))) };
  return chosen instanceof Map ? { ...assembly, reasons: chosen } : assembly;
}
