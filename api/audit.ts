import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { verifyAudit } from '../db/audit';
import { auditLog } from '../db/schema';
import { grants } from '../kernel/auth/scopes';
import { principalOf } from './auth/guard';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';

const entrySchema = z.object({ seq: z.number().int(), at: z.string(), actor: z.string(), action: z.string(), subject: z.string(), data: z.record(z.string(), z.unknown()), prevHash: z.string(), hash: z.string() });

const listRoute = createRoute({
  method: 'get',
  path: '/audit',
  summary: 'The audit log, newest first: who did what to which subject (filter by actor, action, subject; page with `before`)',
  request: {
    query: z.object({
      actor: z.string().max(200).optional(),
      action: z.string().max(100).optional(),
      subject: z.string().max(300).optional(),
      before: z.coerce.number().int().min(1).optional().describe('only entries with a smaller seq (the last seq of the previous page)'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: { description: 'Entries', content: { 'application/json': { schema: z.object({ entries: z.array(entrySchema), next: z.number().int().nullable() }) } } }, 400: problemResponse('Invalid query'), 401: problemResponse('No or bad key'), 403: problemResponse('Not allowed') },
});

const verifyRoute = createRoute({
  method: 'get',
  path: '/audit/verify',
  summary: 'Re-compute the hash chain end to end; names the first row that does not match',
  responses: { 200: { description: 'The verdict', content: { 'application/json': { schema: z.object({ intact: z.boolean(), rows: z.number().int(), firstBrokenSeq: z.number().int().nullable(), reason: z.enum(['hash_mismatch', 'chain_broken']).nullable() }) } } }, 401: problemResponse('No or bad key'), 403: problemResponse('Not allowed') },
});

/**
 * Entries a tenant's admin may read: those about its own agents, crews, schedules and memories (the
 * subject's tenant, whoever acted — root included), and its own keys. Root reads all.
 */
function tenantFilter(tenant: string): SQL {
  const subject = sql`split_part(${auditLog.subject}, ':', 1)`;
  return sql`(exists (select 1 from agents a where a.id = ${subject} and a.tenant = ${tenant})
    or exists (select 1 from crews c where c.id = ${subject} and c.tenant = ${tenant})
    or exists (select 1 from schedules s where s.id = ${subject} and s.tenant = ${tenant})
    or exists (select 1 from memories m join agents a on a.id = m.agent_id where m.id = ${subject} and a.tenant = ${tenant})
    or (${auditLog.action} like 'key.%' and ${auditLog.data}->>'tenant' = ${tenant}))`;
}

/** `GET /audit` and `GET /audit/verify`. */
export function auditRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(listRoute, async (c) => {
      const p = principalOf(c);
      const q = c.req.valid('query');
      const where = and(
        q.actor ? eq(auditLog.actor, q.actor) : undefined,
        q.action ? eq(auditLog.action, q.action) : undefined,
        q.subject ? eq(auditLog.subject, q.subject) : undefined,
        q.before ? lt(auditLog.seq, q.before) : undefined,
        grants(p.scopes, 'root') ? undefined : tenantFilter(p.tenant),
      );
      const rows = await deps.db.select().from(auditLog).where(where).orderBy(desc(auditLog.seq)).limit(q.limit);
      const entries = rows.map((r) => ({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject, data: r.data as Record<string, unknown>, prevHash: r.prevHash, hash: r.hash }));
      return c.json({ entries, next: rows.length === q.limit ? rows[rows.length - 1]!.seq : null }, 200);
    })
    .openapi(verifyRoute, async (c) => {
      const v = await verifyAudit(deps.db);
      return c.json({ intact: v.firstBrokenSeq === null, ...v }, 200);
    });
}
