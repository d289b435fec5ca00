import { z } from 'zod';

/**
 * What a key may do. `viewer` reads; `operator` also spawns and steers; `approver` decides tool
 * calls; `admin` is all of these in its tenant plus its keys and audit; `root` is admin over every
 * tenant plus the cluster (nodes). Approval is not implied by `operator` (separation of duties).
 */
export const SCOPES = ['root', 'admin', 'operator', 'approver', 'viewer'] as const;

/** One scope. */
export type Scope = (typeof SCOPES)[number];

/** A scope, validated. */
export const scopeSchema = z.enum(SCOPES);

const IMPLIES: Record<Scope, readonly Scope[]> = {
  root: ['root', 'admin', 'operator', 'approver', 'viewer'],
  admin: ['admin', 'operator', 'approver', 'viewer'],
  operator: ['operator', 'viewer'],
  approver: ['approver', 'viewer'],
  viewer: ['viewer'],
};

/** True when holding `held` grants `needed`. */
export function grants(held: readonly Scope[], needed: Scope): boolean {
  return held.some((s) => IMPLIES[s].includes(needed));
}

/** Every scope `held` grants (for a key's holder to hand on no more than it has). */
export function granted(held: readonly Scope[]): Set<Scope> {
  return new Set(held.flatMap((s) => IMPLIES[s]));
}

/** Who a request acts as: a key or a token from the identity provider, always bound to one tenant. */
export interface Principal {
  /** `key:<id>` or `jwt:<issuer>#<subject>`: what the audit log records as the actor. */
  actor: string;
  tenant: string;
  scopes: readonly Scope[];
  /** Set when the credentials are an agent's own: they can never approve that agent's calls. */
  agentId: string | null;
  /** The key id (rate limits and last use), or null for a token. */
  keyId: string | null;
}

/** True when the principal may act in `tenant` (its own, or any for root). */
export function mayActIn(p: Principal, tenant: string): boolean {
  return p.tenant === tenant || grants(p.scopes, 'root');
}

/** The tenant a request acts in: the principal's own, or for root the one it names (default its own). */
export function actingTenant(p: Principal, named: string | undefined): string | null {
  if (named === undefined || named === p.tenant) return p.tenant;
  return grants(p.scopes, 'root') ? named : null;
}
