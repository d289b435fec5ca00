import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Security role: API keys, stored as a hash of their secret, each bound to one tenant and its scopes. */
export const apiKeys = pgTable(
  'api_keys',
  {
    /** The public part of the key (`aok_<id>_<secret>`): names it in logs and the audit log. */
    id: text('id').primaryKey(),
    tenant: text('tenant').notNull(),
    name: text('name').notNull(),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    /** An agent's own key: it acts for that agent and can never approve the agent's calls. */
    agentId: text('agent_id'),
    /** SHA-256 of the secret part (hex); the secret itself is shown once and never stored. */
    secretHash: text('secret_hash').notNull(),
    createdBy: text('created_by').notNull(),
    /** The key this one replaced (rotation); the old one stays valid until its own expiry. */
    rotatedFrom: text('rotated_from'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenant)],
);
