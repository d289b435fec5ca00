import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../db/api-keys';
import { getAgentRecord } from '../db/agents';
import { appendAudit } from '../db/audit';
import { actingTenant, granted, grants, scopeSchema, type Principal } from '../kernel/auth/scopes';
import { KernelError } from '../kernel/errors';
import { principalOf } from './auth/guard';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';

const keySchema = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  agentId: z.string().nullable(),
  createdBy: z.string(),
  rotatedFrom: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
const withSecret = keySchema.extend({ key: z.string().describe('the key itself: shown this once, stored only as a hash') });
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const view = (k: ApiKeyRow) => ({ id: k.id, tenant: k.tenant, name: k.name, scopes: k.scopes, agentId: k.agentId, createdBy: k.createdBy, rotatedFrom: k.rotatedFrom, createdAt: k.createdAt.toISOString(), expiresAt: iso(k.expiresAt), lastUsedAt: iso(k.lastUsedAt), revokedAt: iso(k.revokedAt) });

const newKeyBody = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(scopeSchema).min(1).max(5),
  tenant: z.string().trim().min(1).max(80).optional().describe('only a root key may name another tenant than its own'),
  agentId: z.string().min(1).max(200).optional().describe("an agent's own key: acts for that agent and can never approve its calls"),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
const idParam = z.object({ id: z.string().min(1).max(40) });
const errors = { 400: problemResponse('Invalid'), 401: problemResponse('No or bad key'), 403: problemResponse('Not allowed'), 404: problemResponse('Unknown key') };

const createKeyRoute = createRoute({ method: 'post', path: '/keys', summary: 'Create an API key (its secret is shown once)', request: { body: { required: true, content: { 'application/json': { schema: newKeyBody } } } }, responses: { 201: { description: 'Created', content: { 'application/json': { schema: withSecret } } }, ...errors } });
const listKeysRoute = createRoute({ method: 'get', path: '/keys', summary: "The tenant's API keys (never their secrets)", responses: { 200: { description: 'Keys', content: { 'application/json': { schema: z.object({ keys: z.array(keySchema) }) } } }, ...errors } });
const rotateRoute = createRoute({ method: 'post', path: '/keys/{id}/rotate', summary: 'Replace a key: a new one with the same tenant and scopes; the old one is revoked', request: { params: idParam }, responses: { 201: { description: 'The new key', content: { 'application/json': { schema: withSecret } } }, ...errors } });
const revokeRoute = createRoute({ method: 'post', path: '/keys/{id}/revoke', summary: 'Revoke a key: every request with it is refused from now on', request: { params: idParam }, responses: { 200: { description: 'Revoked', content: { 'application/json': { schema: keySchema } } }, ...errors } });
const whoamiRoute = createRoute({ method: 'get', path: '/whoami', summary: 'Who the presented key or token is: actor, tenant and scopes', responses: { 200: { description: 'The principal', content: { 'application/json': { schema: z.object({ actor: z.string(), tenant: z.string(), scopes: z.array(z.string()), agentId: z.string().nullable() }) } } }, 401: problemResponse('No or bad key') } });

/** Refuses acting on a key that holds scopes the caller does not, or that is bound to another agent. */
function refuseBeyond(p: Principal, key: ApiKeyRow): void {
  const mine = granted(p.scopes);
  if (key.scopes.some((s) => !mine.has(scopeSchema.safeParse(s).data ?? 'root'))) throw new KernelError('forbidden', 'a key cannot rotate or revoke a key with scopes it does not hold');
  if (p.agentId && key.agentId !== p.agentId) throw new KernelError('forbidden', `a key bound to agent ${p.agentId} can only manage keys bound to it`);
}

/** API key management (admin) and `GET /whoami`. */
export function keyRoutes(deps: ApiDeps) {
  const keyOf = async (id: string) => {
    const row = await getApiKey(deps.db, id);
    if (!row) throw new KernelError('not_found', `no key with id "${id}"`);
    return row;
  };
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(createKeyRoute, async (c) => {
      const p = principalOf(c);
      const body = c.req.valid('json');
      const tenant = actingTenant(p, body.tenant);
      if (tenant === null) throw new KernelError('forbidden', 'only a root key may create keys for another tenant');
      const mine = granted(p.scopes);
      const beyond = body.scopes.filter((s) => !mine.has(s));
      if (beyond.length > 0) throw new KernelError('forbidden', `a key cannot grant scopes it does not hold: ${beyond.join(', ')}`);
      // An agent's key only makes keys for that same agent: it cannot shed its binding.
      if (p.agentId && body.agentId !== p.agentId) throw new KernelError('forbidden', `a key bound to agent ${p.agentId} can only create keys bound to it`);
      if (body.agentId) {
        const agent = await getAgentRecord(deps.db, body.agentId);
        if (!agent || agent.tenant !== tenant) throw new KernelError('not_found', `no agent with id "${body.agentId}"`);
      }
      const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
      const { row, token } = await createApiKey(deps.db, { tenant, name: body.name, scopes: body.scopes, agentId: body.agentId ?? null, expiresAt, createdBy: p.actor });
      await appendAudit(deps.db, { actor: p.actor, action: 'key.created', subject: `key:${row.id}`, data: { tenant, scopes: row.scopes, agentId: row.agentId }, idempotencyKey: `key.create:${row.id}` });
      return c.json({ ...view(row), key: token }, 201);
    })
    .openapi(listKeysRoute, async (c) => {
      const p = principalOf(c);
      return c.json({ keys: (await listApiKeys(deps.db, grants(p.scopes, 'root') ? null : p.tenant)).map(view) }, 200);
    })
    .openapi(rotateRoute, async (c) => {
      const p = principalOf(c);
      const old = await keyOf(c.req.valid('param').id);
      refuseBeyond(p, old);
      // One transaction: the old key is revoked (by one caller only: two rotations at once cannot both
      // mint a key) exactly when the new one exists.
      const { row, token } = await deps.db.transaction(async (tx) => {
        if (!(await revokeApiKey(tx, old.id))) throw new KernelError('conflict', `key ${old.id} is revoked; create a new one instead`);
        return createApiKey(tx, { tenant: old.tenant, name: old.name, scopes: old.scopes.filter((s) => scopeSchema.safeParse(s).success).map((s) => scopeSchema.parse(s)), agentId: old.agentId, expiresAt: old.expiresAt, createdBy: p.actor, rotatedFrom: old.id });
      });
      await appendAudit(deps.db, { actor: p.actor, action: 'key.rotated', subject: `key:${old.id}`, data: { tenant: old.tenant, newKey: row.id }, idempotencyKey: `key.rotate:${old.id}` });
      return c.json({ ...view(row), key: token }, 201);
    })
    .openapi(revokeRoute, async (c) => {
      const p = principalOf(c);
      const row = await keyOf(c.req.valid('param').id);
      refuseBeyond(p, row);
      const revoked = (await revokeApiKey(deps.db, row.id)) ?? row;
      await appendAudit(deps.db, { actor: p.actor, action: 'key.revoked', subject: `key:${row.id}`, data: { tenant: row.tenant }, idempotencyKey: `key.revoke:${row.id}` });
      return c.json(view(revoked), 200);
    })
    .openapi(whoamiRoute, (c) => {
      const p = principalOf(c);
      return c.json({ actor: p.actor, tenant: p.tenant, scopes: [...p.scopes], agentId: p.agentId }, 200);
    });
}
