import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { KernelActivities } from '../activities';

const { collectWebhookDeliveries, markWebhookFailed } = proxyActivities<KernelActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });
/** One delivery: retried with exponential backoff (1 s, 2 s, 4 s … at most 10 min apart), 12 attempts (about an hour), then given up. */
const { deliverWebhook } = proxyActivities<KernelActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 12 } });

/** How often an idle webhook looks for new events. */
const POLL = '1 second';
/** Passes before the workflow continues as new (its history stays small). */
const PASSES = 300;

/**
 * A webhook's deliveries, in event order, for as long as it exists: collect the new matching events,
 * deliver each (Temporal retries a receiver that is down with backoff — only this webhook waits,
 * never an agent), give up one whose retries ran out (the log says so; it can be redelivered), and
 * look again a second later.
 */
export async function webhookWorkflow(webhookId: string): Promise<void> {
  for (let pass = 0; pass < PASSES; pass++) {
    const { active, deliveryIds } = await collectWebhookDeliveries({ webhookId });
    if (!active) return;
    for (const deliveryId of deliveryIds) {
      try {
        await deliverWebhook({ deliveryId });
      } catch (err) {
        await markWebhookFailed({ deliveryId, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (deliveryIds.length === 0) await sleep(POLL);
  }
  await continueAsNew<typeof webhookWorkflow>(webhookId);
}

/** One delivery sent again on request (the same `webhook-id`, so the receiver can tell). */
export async function webhookRedeliveryWorkflow(deliveryId: string): Promise<void> {
  try {
    await deliverWebhook({ deliveryId });
  } catch (err) {
    await markWebhookFailed({ deliveryId, error: err instanceof Error ? err.message : String(err) });
  }
}
