import type { Context, Next } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Db } from '../../db/client';
import { grants, mayActIn, type Principal } from '../../kernel/auth/scopes';
import { KernelError } from '../../kernel/errors';
import { codecCredential } from '../codec';
import { unstorable } from '../edge-guard';
import { sendProblem } from '../problem';
import { authenticate, type AuthSettings } from './authenticate';
import { pathParams, policyOf, type RoutePolicy } from './policy';
import type { RateLimiter } from './rate-limit';
import { resourceNoun, tenantOf } from './resources';

declare module 'hono' {
  interface ContextVariableMap {
    /** Who the request acts as (set by {@link authGuard} on every non-public route). */
    principal: Principal;
  }
}

/** What the guard needs. */
export interface GuardDeps {
  db: Db;
  auth: AuthSettings;
  limiter: RateLimiter;
}

/** The route pattern the request matched (its handler's, not a middleware's), or undefined for none. */
function handlerRoute(c: Context): { method: string; path: string } | undefined {
  const routes = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  const last = routes[routes.length - 1];
  return last ? { method: last.method, path: last.path } : undefined;
}

/**
 * The one gate every request passes (deny by default): a route with no policy is refused; a
 * non-public route needs a valid key or token (401), within the caller's rate (429), with the scope
 * the route declares (403); a resource its path names must be in the caller's tenant — another
 * tenant's agent, crew, schedule, memory or key is a 404, exactly like one that does not exist.
 */
export function authGuard(deps: GuardDeps) {
  return async (c: Context, next: Next): Promise<Response | void> => {
    const route = handlerRoute(c);
    // No route: the same 404 with or without a key, whatever the path holds (it reveals nothing).
    if (!route) return sendProblem(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`);
    const policy: RoutePolicy | undefined = policyOf(route.method, route.path);
    if (!policy) throw new KernelError('forbidden', `no access policy is declared for ${route.method} ${route.path}; refused`);
    if (policy.scope === 'public') return next();
    // The codec routes also take the browser session cookie (the Temporal UI cannot send a header).
    const credential = route.path.startsWith('/codec/') ? codecCredential(c) : c.req.header('authorization');
    const principal = await authenticate(deps.db, credential, deps.auth);
    const wait = deps.limiter.take(principal.keyId ?? principal.actor);
    if (wait > 0) throw new KernelError('rate_limited', `this key has made too many requests; retry in ${wait} s`, { retryAfterS: wait });
    if (!grants(principal.scopes, policy.scope)) throw new KernelError('forbidden', `this route needs the "${policy.scope}" scope`);
    if (policy.resource) {
      const id = pathParams(route.path, c.req.path)[policy.resource.param];
      // A string Postgres cannot hold is no row of anyone's: the edge guard answers it with a 400.
      if (id !== undefined && unstorable(id) === null) {
        const tenant = await tenantOf(deps.db, policy.resource.kind, id);
        if (tenant !== undefined && !mayActIn(principal, tenant)) throw new KernelError('not_found', `no ${resourceNoun(policy.resource.kind)} with id "${id}"`);
      }
    }
    c.set('principal', principal);
    return next();
  };
}

/** The authenticated principal of a request (only on routes behind {@link authGuard}). */
export function principalOf(c: Context): Principal {
  const p = c.get('principal');
  if (!p) throw new KernelError('unauthorized', 'this route needs an API key: send `Authorization: Bearer <key>`');
  return p;
}
