import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { rootMessage } from '../kernel/errors';
import type { Logger } from './logger';

/** The id of a task queue's memory-sweep schedule. */
export function memorySweepScheduleId(taskQueue: string): string {
  return `aok-memory-sweep-${taskQueue}`;
}

/** The id of a task queue's retention schedule. */
export function retentionScheduleId(taskQueue: string): string {
  return `aok-retention-${taskQueue}`;
}

/** One of the kernel's own maintenance schedules: what it runs, how often, and what a failure to create it means. */
interface Maintenance {
  scheduleId: string;
  every: '1 minute' | '1 hour';
  workflowType: string;
  purpose: string;
  /** Logged when the schedule cannot be created. */
  ifMissing: string;
}

/** Creates a maintenance schedule once per task queue (a second node finds it there). */
async function ensureMaintenance(client: Client, taskQueue: string, logger: Logger, m: Maintenance): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: m.scheduleId,
      spec: { intervals: [{ every: m.every }] },
      action: { type: 'startWorkflow', workflowType: m.workflowType, taskQueue, workflowId: m.scheduleId, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: m.every },
      memo: { purpose: m.purpose },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return;
    logger.warn({ err: rootMessage(err) }, m.ifMissing);
  }
}

/**
 * Makes sure a Temporal Schedule sweeps expired short-term memories every minute on this task queue.
 * Expiry is durable work, never a request's side effect.
 */
export async function ensureMemorySweep(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  await ensureMaintenance(client, taskQueue, logger, {
    scheduleId: memorySweepScheduleId(taskQueue),
    every: '1 minute',
    workflowType: 'memorySweepWorkflow',
    purpose: 'sweeps expired short-term memories',
    ifMissing: 'the memory sweep schedule could not be created; expired short-term memories stay hidden but are not deleted',
  });
}

/**
 * Makes sure a Temporal Schedule applies every tenant's retention policy hourly on this task queue
 * (finished agents' content, untagged checkpoints, and Temporal histories a deletion left pending).
 */
export async function ensureRetention(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  await ensureMaintenance(client, taskQueue, logger, {
    scheduleId: retentionScheduleId(taskQueue),
    every: '1 hour',
    workflowType: 'retentionWorkflow',
    purpose: 'applies tenants’ retention policies',
    ifMissing: 'the retention schedule could not be created; retention policies are not applied',
  });
}
