/** What the workflow knows of its own history. */
export interface HistoryInfo {
  continueAsNewSuggested: boolean;
  historyLength: number;
  historySize: number;
}

/** Limits well under Temporal's (50 MB / 51,200 events) so every run's history stays small. */
export const HISTORY_LIMITS = { maxEvents: 4_000, maxBytes: 1_500_000 } as const;

/** True when the agent should continue as new at this step boundary. */
export function shouldContinueAsNew(info: HistoryInfo, limits: { maxEvents: number; maxBytes: number } = HISTORY_LIMITS): boolean {
  return info.continueAsNewSuggested || info.historyLength >= limits.maxEvents || info.historySize >= limits.maxBytes;
}
