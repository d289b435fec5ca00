/** A page as the summariser sees it. */
export interface SummaryCandidate {
  id: string;
  step: number;
  kind: string;
  pinned: boolean;
  /** The summary page that already covers it, if any. */
  summarisedIn: string | null;
}

/**
 * The pages to summarise now: the agent's own messages and tool results that are out of the
 * window (not selected this step), not pinned and not covered by an earlier summary — wherever
 * they sit in time. Nothing until at least `minPages` qualify, so a summary is worth its cost.
 */
export function pagesToSummarise(pages: readonly SummaryCandidate[], selected: ReadonlySet<string>, minPages = 4): SummaryCandidate[] {
  const out = pages.filter((p) => !selected.has(p.id) && !p.pinned && p.summarisedIn === null && (p.kind === 'message' || p.kind === 'tool_result'));
  return out.length >= minPages ? [...out].sort((a, b) => a.step - b.step) : [];
}
