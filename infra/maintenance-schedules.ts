import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { rootMessage } from '../kernel/errors';
import type { Logger } from './logger';

/** The id of a task queue's memory-sweep schedule. */
export function memorySweepScheduleId(taskQueue: string): string {
  return `aok-memory-sweep-${taskQueue}`;
}

/**
 * Makes sure a Temporal Schedule sweeps expired short-term memories every minute on this task queue
 * (created once; a second node finds it there). Expiry is durable work, never a request's side effect.
 */
export async function ensureMemorySweep(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  const scheduleId = memorySweepScheduleId(taskQueue);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 minute' }] },
      action: { type: 'startWorkflow', workflowType: 'memorySweepWorkflow', taskQueue, workflowId: scheduleId, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      memo: { purpose: 'sweeps expired short-term memories' },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return;
    logger.warn({ err: rootMessage(err) }, 'the memory sweep schedule could not be created; expired short-term memories stay hidden but are not deleted');
  }
}

/** The id of a task queue's retention schedule. */
export function retentionScheduleId(taskQueue: string): string {
  return `aok-retention-${taskQueue}`;
}

/**
 * Makes sure a Temporal Schedule applies every tenant's retention policy hourly on this task queue
 * (finished agents' content, untagged checkpoints, and Temporal histories a deletion left pending).
 */
export async function ensureRetention(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  const scheduleId = retentionScheduleId(taskQueue);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 hour' }] },
      action: { type: 'startWorkflow', workflowType: 'retentionWorkflow', taskQueue, workflowId: scheduleId, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      memo: { purpose: 'applies tenants’ retention policies' },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return;
    logger.warn({ err: rootMessage(err) }, 'the retention schedule could not be created; retention policies are not applied');
  }
}
