import type { Context, Next } from 'hono';
import { sendProblem } from '../problem';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a state-changing request a browser sent on behalf of another site: `Sec-Fetch-Site` other
 * than same-origin/none, or an `Origin` that is neither the API's own nor allowed. Clients that are
 * not browsers send neither header and pass (they still need a key).
 */
export function crossSiteGuard(allowedOrigins: readonly string[]) {
  return async (c: Context, next: Next): Promise<Response | void> => {
    if (SAFE.has(c.req.method)) return next();
    const site = c.req.header('sec-fetch-site');
    const origin = c.req.header('origin');
    const own = new URL(c.req.url).origin;
    const originOk = origin === undefined || origin === own || allowedOrigins.includes(origin);
    const siteOk = site === undefined || site === 'same-origin' || site === 'none' || (origin !== undefined && allowedOrigins.includes(origin));
    if (originOk && siteOk) return next();
    return sendProblem(c, 403, 'cross_site', 'a cross-site request cannot change anything here');
  };
}
