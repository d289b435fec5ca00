import { ApplicationFailure, Context } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import type { Db } from '../db/client';
import { collectDeliveries, deliveryRequest, markFailed, recordAttempt } from '../db/webhooks';
import type { SecretBox } from './tools/mcp/secret-box';

/** How long a receiver has to answer one delivery. */
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Builds the webhook activities: collecting a webhook's new events into deliveries, sending one
 * delivery (signed per Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`;
 * a non-2xx answer or no answer is retried by Temporal with backoff), and giving one up.
 */
export function createWebhookActivities(deps: { db: Db; secrets?: SecretBox }) {
  return {
    collectWebhookDeliveries: async (input: { webhookId: string }): Promise<{ active: boolean; deliveryIds: string[] }> => {
      const ids = await collectDeliveries(deps.db, input.webhookId);
      return ids ? { active: true, deliveryIds: ids } : { active: false, deliveryIds: [] };
    },
    deliverWebhook: async (input: { deliveryId: string }): Promise<{ status: number }> => {
      const req = await deliveryRequest(deps.db, input.deliveryId);
      if (!req) return { status: 0 };
      if (req.eventGone) {
        await recordAttempt(deps.db, input.deliveryId, { delivered: false, status: null, error: 'the event was deleted (its agent was erased)', failed: true });
        return { status: 0 };
      }
      if (!deps.secrets) throw ApplicationFailure.nonRetryable('this node holds no secret box: webhook secrets cannot be opened', 'WebhookSecrets');
      const signer = new Webhook(deps.secrets.openText(req.secretSealed));
      const at = new Date();
      const headers = { 'content-type': 'application/json', 'user-agent': 'agent-os-kernel-webhooks', 'webhook-id': input.deliveryId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signer.sign(input.deliveryId, at, req.body) };
      let status: number | null = null;
      let error: string | null = null;
      try {
        const signal = AbortSignal.any([AbortSignal.timeout(DELIVERY_TIMEOUT_MS), Context.current().cancellationSignal]);
        const res = await fetch(req.url, { method: 'POST', headers, body: req.body, redirect: 'manual', signal });
        status = res.status;
        await res.body?.cancel();
      } catch (err) {
        error = err instanceof Error ? err.message.slice(0, 300) : 'the request failed';
      }
      const delivered = status !== null && status >= 200 && status < 300;
      await recordAttempt(deps.db, input.deliveryId, { delivered, status, error: delivered ? null : (error ?? `the receiver answered ${status}`) });
      if (!delivered) throw ApplicationFailure.retryable(error ?? `the receiver answered ${status}`, 'WebhookNotDelivered');
      return { status: status! };
    },
    markWebhookFailed: async (input: { deliveryId: string; error: string }): Promise<void> => markFailed(deps.db, input.deliveryId, input.error),
  };
}
