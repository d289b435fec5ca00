import { proxyActivities } from '@temporalio/workflow';
import type { KernelActivities } from '../activities';

const { applyRetention } = proxyActivities<KernelActivities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '2 minutes', retry: { initialInterval: '30 seconds', maximumAttempts: 3 } });

/** One pass of every tenant's retention policy (a Temporal Schedule runs it hourly); returns what went. */
export async function retentionWorkflow() {
  return applyRetention();
}
