import { proxyActivities } from '@temporalio/workflow';
import type { KernelActivities } from '../activities';

const { sweepExpiredMemories } = proxyActivities<KernelActivities>({ startToCloseTimeout: '2 minutes', retry: { initialInterval: '5 seconds', maximumAttempts: 3 } });

/** One sweep of expired short-term memories (a Temporal Schedule runs it every minute); returns how many went. */
export async function memorySweepWorkflow(): Promise<number> {
  return sweepExpiredMemories();
}
