/** Words too common to rank by (Postgres drops English stopwords too; this keeps queries short). */
const STOP = new Set(['what', 'when', 'where', 'who', 'why', 'how', 'which', 'did', 'does', 'do', 'the', 'a', 'an', 'is', 'was', 'are', 'were', 'of', 'to', 'in', 'on', 'for', 'and', 'or', 'has', 'have', 'had', 'with', 'at', 'by', 'it', 'its', 'be', 'that', 'this', 'as', 'from', 'would', 'could', 'should', 'likely', 'kind', 'some', 'any']);

/**
 * A Postgres `to_tsquery` text that matches pages sharing *any* meaningful word of `text`
 * (plainto_tsquery would demand all of them). Only [a-z0-9] words survive, so it cannot inject
 * query syntax. Empty when nothing is left.
 */
export function orTsQuery(text: string, maxTerms = 24): string {
  const words = (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => w.length >= 2 && !STOP.has(w));
  return [...new Set(words)].slice(0, maxTerms).join(' | ');
}
