/** What past calls say about one tool on tasks like the one at hand. */
export interface ToolEvidence {
  tool: string;
  /** Calls made by agents whose task matched. */
  calls: number;
  succeeded: number;
  /** How closely the best-matching task resembled this one (full-text rank, > 0). */
  similarity: number;
}

/** A tool ranked for a task, with the numbers behind its score. */
export interface ToolSuggestion extends ToolEvidence {
  successRate: number;
  score: number;
}

/**
 * Ranks tools for a task by their past success on similar tasks: the success rate (smoothed toward
 * ½ with one success and one failure of prior, so a single lucky call does not top the list), times
 * the confidence that more calls give (1 − e^(−calls/3)), times how similar those tasks were
 * (relative to the best match). Ties: more calls, then name.
 */
export function rankTools(evidence: readonly ToolEvidence[]): ToolSuggestion[] {
  const best = Math.max(0, ...evidence.map((e) => e.similarity));
  return evidence
    .filter((e) => e.calls > 0)
    .map((e) => {
      const successRate = (e.succeeded + 1) / (e.calls + 2);
      const confidence = 1 - Math.exp(-e.calls / 3);
      const closeness = best > 0 ? 0.5 + 0.5 * (e.similarity / best) : 0.5;
      return { ...e, successRate: Math.round(successRate * 1000) / 1000, score: Math.round(successRate * confidence * closeness * 1000) / 1000 };
    })
    .sort((a, b) => b.score - a.score || b.calls - a.calls || a.tool.localeCompare(b.tool));
}
