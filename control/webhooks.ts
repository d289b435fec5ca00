import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { appendAudit } from '../db/audit';
import { createWebhook, deleteWebhook, getDelivery, getWebhook, type WebhookRow } from '../db/webhooks';
import { parseTypePatterns } from '../kernel/events/type-filter';
import { KernelError } from '../kernel/errors';
import type { ControlDeps } from './deps';
import { withTemporal } from './temporal';

/** The workflow that delivers a webhook's events. */
export function webhookWorkflowId(id: string): string {
  return `aok-webhook-${id}`;
}

/** A webhook as the API shows it (never its secret). */
export function webhookView(w: WebhookRow) {
  return { id: w.id, tenant: w.tenant, url: w.url, types: w.types, active: w.active, createdBy: w.createdBy, createdAt: w.createdAt.toISOString() };
}

/**
 * Registers a webhook: a fresh signing secret (`whsec_…`, sealed at rest, returned once), stored,
 * then its delivery workflow started. Events after this moment are delivered.
 */
export async function registerWebhook(deps: Pick<ControlDeps, 'db' | 'client' | 'taskQueue' | 'secrets'>, w: { tenant: string; url: string; types: string[] }, actor: string) {
  parseTypePatterns(w.types.join(','));
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const row = await createWebhook(deps.db, { ...w, secretSealed: deps.secrets.sealText(secret), createdBy: actor });
  try {
    await withTemporal(deps, 'start the webhook’s deliveries', () => deps.client.workflow.start('webhookWorkflow', { taskQueue: deps.taskQueue, workflowId: webhookWorkflowId(row.id), args: [row.id] }));
  } catch (err) {
    await deleteWebhook(deps.db, row.id);
    throw err;
  }
  await appendAudit(deps.db, { actor, action: 'webhook.registered', subject: row.id, data: { tenant: w.tenant, host: new URL(w.url).host, types: w.types }, idempotencyKey: `webhook.registered:${row.id}` });
  return { ...webhookView(row), secret };
}

/** Deletes a webhook: its delivery workflow ends, its row and delivery log go. */
export async function removeWebhook(deps: Pick<ControlDeps, 'db' | 'client'>, id: string, actor: string): Promise<void> {
  if (!(await getWebhook(deps.db, id))) throw new KernelError('not_found', `no webhook with id "${id}"`);
  await deleteWebhook(deps.db, id);
  try {
    await withTemporal(deps, 'stop the webhook’s deliveries', () => deps.client.workflow.getHandle(webhookWorkflowId(id)).terminate('webhook deleted'));
  } catch (err) {
    // Already ended (it also ends by itself once the row is gone).
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await appendAudit(deps.db, { actor, action: 'webhook.deleted', subject: id, data: {}, idempotencyKey: `webhook.deleted:${id}` });
}

/** Sends one delivery again (same `webhook-id`), in its own workflow; returns that workflow's id. */
export async function redeliver(deps: Pick<ControlDeps, 'db' | 'client' | 'taskQueue'>, webhookId: string, deliveryId: string, actor: string): Promise<string> {
  if (!(await getDelivery(deps.db, webhookId, deliveryId))) throw new KernelError('not_found', `webhook "${webhookId}" has no delivery "${deliveryId}"`);
  const workflowId = `aok-webhook-redeliver-${deliveryId}-${Date.now()}`;
  await withTemporal(deps, 'start the redelivery', () => deps.client.workflow.start('webhookRedeliveryWorkflow', { taskQueue: deps.taskQueue, workflowId, args: [deliveryId] }));
  await appendAudit(deps.db, { actor, action: 'webhook.redelivered', subject: webhookId, data: { deliveryId }, idempotencyKey: `webhook.redelivered:${workflowId}` });
  return workflowId;
}
