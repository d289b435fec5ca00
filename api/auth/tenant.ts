import type { Context } from 'hono';
import { actingTenant, grants } from '../../kernel/auth/scopes';
import { KernelError } from '../../kernel/errors';
import { principalOf } from './guard';

/**
 * The tenant a create acts in: the caller's own. A body that names another tenant is refused (403)
 * unless the caller is root; `default` (the schemas' fill-in when none is named) means the caller's own.
 */
export function tenantFor(c: Context, named: string | undefined): string {
  const p = principalOf(c);
  const tenant = actingTenant(p, named);
  if (tenant !== null) return tenant;
  if (named === 'default') return p.tenant;
  throw new KernelError('forbidden', `this key acts for its own tenant only; it cannot act for tenant "${named}"`);
}

/** The tenant a listing is limited to: the caller's own, or null (every tenant) for root. */
export function listTenant(c: Context): string | null {
  const p = principalOf(c);
  return grants(p.scopes, 'root') ? null : p.tenant;
}
