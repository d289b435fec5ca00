import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { redeliver, registerWebhook, removeWebhook, webhookView } from '../control/webhooks';
import { refusePrivateUrl } from '../control/mcp-url-guard';
import { getWebhook, listDeliveries, listWebhooks, type DeliveryRow } from '../db/webhooks';
import { grants } from '../kernel/auth/scopes';
import { parseTypePatterns } from '../kernel/events/type-filter';
import { KernelError } from '../kernel/errors';
import { principalOf } from './auth/guard';
import { listTenant, tenantFor } from './auth/tenant';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';

const viewSchema = z.object({ id: z.string(), tenant: z.string(), url: z.string(), types: z.array(z.string()), active: z.boolean(), createdBy: z.string(), createdAt: z.string() });
const deliverySchema = z.object({ id: z.string().describe('the webhook-id header: the same on every attempt and redelivery'), eventSeq: z.number(), eventType: z.string(), status: z.enum(['pending', 'delivered', 'failed']), attempts: z.number().int(), lastStatus: z.number().int().nullable(), lastError: z.string().nullable(), createdAt: z.string(), deliveredAt: z.string().nullable() });
const deliveryView = (d: DeliveryRow) => ({ id: d.id, eventSeq: d.eventSeq, eventType: d.eventType, status: d.status as 'pending' | 'delivered' | 'failed', attempts: d.attempts, lastStatus: d.lastStatus, lastError: d.lastError, createdAt: d.createdAt.toISOString(), deliveredAt: d.deliveredAt?.toISOString() ?? null });
const idParam = z.object({ id: z.string().min(1).max(100) });
const types = z.array(z.string().min(1).max(80)).min(1).max(20).default(['*']).describe('event type patterns: a type (tool.completed), a family (agent.*) or *');

const registerRoute = createRoute({
  method: 'post',
  path: '/webhooks',
  summary: 'Register a URL that receives the tenant’s events, signed (Standard Webhooks); the secret is returned once',
  request: { body: { required: true, content: { 'application/json': { schema: z.object({ url: z.string().url().max(2_000).refine((u) => /^https?:\/\//.test(u), 'http(s) URLs only'), types, tenant: z.string().min(1).max(80).optional() }).strict() } } } },
  responses: { 201: { description: 'Registered', content: { 'application/json': { schema: viewSchema.extend({ secret: z.string().describe('whsec_…: verify signatures with it; shown only now') }) } } }, 400: problemResponse('Invalid webhook'), 403: problemResponse('A private address') },
});
const listRoute = createRoute({ method: 'get', path: '/webhooks', summary: 'The tenant’s webhooks', responses: { 200: { description: 'Webhooks', content: { 'application/json': { schema: z.object({ webhooks: z.array(viewSchema) }) } } } } });
const deleteRoute = createRoute({ method: 'delete', path: '/webhooks/{id}', summary: 'Delete a webhook (its deliveries stop; its log goes)', request: { params: idParam }, responses: { 204: { description: 'Deleted' }, 404: problemResponse('Unknown webhook') } });
const deliveriesRoute = createRoute({
  method: 'get',
  path: '/webhooks/{id}/deliveries',
  summary: 'The delivery log: each event’s attempts, the receiver’s last answer, when it arrived',
  request: { params: idParam, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: { 200: { description: 'Deliveries', content: { 'application/json': { schema: z.object({ deliveries: z.array(deliverySchema) }) } } }, 404: problemResponse('Unknown webhook') },
});
const redeliverRoute = createRoute({
  method: 'post',
  path: '/webhooks/{id}/deliveries/{deliveryId}/redeliver',
  summary: 'Send one delivery again (same webhook-id)',
  request: { params: idParam.extend({ deliveryId: z.string().min(1).max(200) }) },
  responses: { 202: { description: 'Sending', content: { 'application/json': { schema: z.object({ workflowId: z.string() }) } } }, 404: problemResponse('Unknown delivery') },
});

/** Webhooks: register, list, delete, the delivery log and manual redelivery. */
export function webhookRoutes(deps: ApiDeps) {
  const owned = async (id: string) => {
    const hook = await getWebhook(deps.db, id);
    if (!hook) throw new KernelError('not_found', `no webhook with id "${id}"`);
    return hook;
  };
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(registerRoute, async (c) => {
      const body = c.req.valid('json');
      parseTypePatterns(body.types.join(','));
      // A tenant's admin may send events to public addresses only; a root key also to the kernel's own network.
      if (!grants(principalOf(c).scopes, 'root')) await refusePrivateUrl(body.url);
      const hook = await registerWebhook(deps, { tenant: tenantFor(c, body.tenant), url: body.url, types: body.types }, principalOf(c).actor);
      c.header('location', `/webhooks/${hook.id}`);
      return c.json(hook, 201);
    })
    .openapi(listRoute, async (c) => c.json({ webhooks: (await listWebhooks(deps.db, listTenant(c))).map(webhookView) }, 200))
    .openapi(deleteRoute, async (c) => {
      await removeWebhook(deps, (await owned(c.req.valid('param').id)).id, principalOf(c).actor);
      return c.body(null, 204);
    })
    .openapi(deliveriesRoute, async (c) => {
      const hook = await owned(c.req.valid('param').id);
      return c.json({ deliveries: (await listDeliveries(deps.db, hook.id, c.req.valid('query').limit)).map(deliveryView) }, 200);
    })
    .openapi(redeliverRoute, async (c) => {
      const { id, deliveryId } = c.req.valid('param');
      const hook = await owned(id);
      return c.json({ workflowId: await redeliver(deps, hook.id, deliveryId, principalOf(c).actor) }, 202);
    });
}
