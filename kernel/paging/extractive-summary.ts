import { countTextTokens } from '../llm/tokens';

/** A page to summarise: its step, importance and text. */
export interface SummarySource {
  step: number;
  importance: number;
  body: string;
}

/**
 * An offline, extractive summary of a span of pages within `maxTokens`: the first sentence of each
 * page (most important pages first when they do not all fit), kept in chronological order.
 */
export function extractiveSummary(pages: readonly SummarySource[], maxTokens: number): string {
  if (pages.length === 0) return '';
  const first = pages[0]!.step;
  const last = pages.at(-1)!.step;
  const header = `Summary of steps ${first}–${last} (${pages.length} pages, paged out):`;
  const lines = pages.map((p) => {
    const sentence = (p.body.match(/^[\s\S]*?[.!?](\s|$)/)?.[0] ?? p.body).trim().replace(/\s+/g, ' ');
    return { step: p.step, importance: p.importance, line: `- [${p.step}] ${sentence.length > 160 ? `${sentence.slice(0, 157)}…` : sentence}` };
  });
  let budget = maxTokens - countTextTokens(header);
  const kept = new Set<number>();
  for (const l of [...lines].sort((a, b) => b.importance - a.importance || a.step - b.step)) {
    const cost = countTextTokens(l.line) + 1;
    if (cost > budget) continue;
    kept.add(l.step);
    budget -= cost;
  }
  return [header, ...lines.filter((l) => kept.has(l.step)).map((l) => l.line)].join('\n');
}
