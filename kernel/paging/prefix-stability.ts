/** One prompt message as remembered between steps: a short hash and its tokens. */
export interface MessageFingerprint {
  hash: string;
  tokens: number;
}

/**
 * Share of this prompt's tokens that form a prefix identical to the previous prompt's: the part a
 * provider's prompt cache can reuse. 1 when nothing before this prompt changed.
 */
export function prefixStability(previous: readonly MessageFingerprint[] | undefined, current: readonly MessageFingerprint[]): number {
  const total = current.reduce((n, m) => n + m.tokens, 0);
  if (!previous || total === 0) return 0;
  let shared = 0;
  for (let i = 0; i < current.length && i < previous.length; i++) {
    if (current[i]!.hash !== previous[i]!.hash) break;
    shared += current[i]!.tokens;
  }
  return Math.round((shared / total) * 1000) / 1000;
}
