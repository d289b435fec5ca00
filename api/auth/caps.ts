import { tenantSpendSince, utcDayStart } from '../../db/ledger';
import { KernelError } from '../../kernel/errors';
import type { ApiDeps } from '../deps';

/**
 * Refuses a spawn, crew or batch (429) when the tenant has spent its USD for the UTC day. (Its cap of
 * live agents is checked where every agent is stored, atomically: `refuseOverLiveCap` in prepareAgent.)
 */
export async function refuseOverDailySpend(deps: ApiDeps, tenant: string): Promise<void> {
  const daily = deps.security.limits.tenantDailyCostCapUsd;
  if (daily <= 0) return;
  const now = new Date();
  const spent = await tenantSpendSince(deps.db, tenant, utcDayStart(now));
  const untilTomorrow = Math.ceil((utcDayStart(now).getTime() + 86_400_000 - now.getTime()) / 1000);
  if (spent >= daily) throw new KernelError('rate_limited', `tenant ${tenant} has spent its ${daily} USD for today (TENANT_MAX_COST_USD_PER_DAY)`, { retryAfterS: untilTomorrow });
}

/**
 * Holds one of the tenant's event-stream slots for as long as `open` runs; refuses (429) when the
 * tenant already holds its cap (per API process).
 */
export function streamSlot(deps: ApiDeps, tenant: string): { release: () => void } {
  const cap = deps.security.limits.tenantEventStreams;
  const byTenant = deps.security.openStreams;
  const held = byTenant.get(tenant) ?? 0;
  if (cap > 0 && held >= cap) throw new KernelError('rate_limited', `tenant ${tenant} already holds ${cap} open event streams (TENANT_MAX_EVENT_STREAMS); close one first`, { retryAfterS: 5 });
  byTenant.set(tenant, held + 1);
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      byTenant.set(tenant, Math.max(0, (byTenant.get(tenant) ?? 1) - 1));
    },
  };
}
