import { log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { hasChange } from './run-version';
import type { KernelActivities } from '../activities';
import type { Spend } from '../kernel/cost/budget';
import type { AgentRunInput, PageRef } from '../kernel/agent/state';

const { extractEntities } = proxyActivities<KernelActivities>({ startToCloseTimeout: '2 minutes', retry: { initialInterval: '2 seconds', maximumAttempts: 3 } });
const { extractEntities: extractEntitiesLocally } = proxyLocalActivities<KernelActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '2 seconds', maximumAttempts: 3 } });

/** Patch id: after a step that took in new user messages, their facts are extracted (runs recorded before it extract nothing). */
const ENTITY_MEMORY = 'entity-memory';
/**
 * Patch id: the deterministic rules (a millisecond or two, no model) run as a local activity in the
 * workflow task that schedules the next step — no activity task to dispatch and no workflow task to
 * hand the result back. The agent's model (`model`) stays a full activity: a model call must not
 * hold a workflow task.
 */
const LOCAL_RULES = 'entity-memory-local-rules';

/**
 * The agent's entity memory, kept beside its steps: after a step that took in new user messages,
 * one `extractEntities` activity reads their facts — started without waiting, one at a time, in order.
 * The model's extraction runs beside the next step; the rules' (a local activity) finish before the
 * workflow task that schedules the next step completes — a millisecond or two, more only while the
 * database is slow or away, when the step could not run either. `drain` waits for the last before the run ends or moves.
 * What the agent's model cost for it is handed to `onUsage` (it counts against the budget).
 */
export function entityMemory(input: Pick<AgentRunInput, 'agentId' | 'entityMemory' | 'runVersion'>, onUsage: (usage: Spend) => void) {
  let chain: Promise<void> = Promise.resolve();
  return {
    /** Called after step `step` took in `pages`; extracts from their user messages. */
    after(step: number, pages: readonly PageRef[]): void {
      const pageIds = pages.filter((p) => p.role === 'user' && p.kind === 'message').map((p) => p.id);
      if (!pageIds.length || (input.entityMemory ?? 'off') === 'off' || !hasChange(input, ENTITY_MEMORY, 1)) return;
      const extract = input.entityMemory === 'rules' && hasChange(input, LOCAL_RULES, 1) ? extractEntitiesLocally : extractEntities;
      chain = chain.then(async () => {
        try {
          const r = await extract({ agentId: input.agentId, step, pageIds });
          onUsage(r.usage);
        } catch (err) {
          // Entity memory never fails the agent: its messages stay pages, found by retrieval.
          log.warn('entity extraction failed', { agentId: input.agentId, step, error: err instanceof Error ? err.message : String(err) });
        }
      });
    },
    /** Waits for the extraction in flight, if any. */
    drain: (): Promise<void> => chain,
  };
}
