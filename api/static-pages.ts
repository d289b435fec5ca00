import { createRoute, z } from '@hono/zod-openapi';

/**
 * The headers of a page the API serves itself (the API reference, the console): only this origin's
 * scripts run, it talks to this API only, and it is never framed. Swagger UI sets inline styles.
 */
export function pageHeaders(styles: 'self' | 'inline'): Record<string, string> {
  const style = styles === 'inline' ? "'self' 'unsafe-inline'" : "'self'";
  return {
    'content-security-policy': `default-src 'self'; img-src 'self' data:; style-src ${style}; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** The documented route of a page's files (`<base>/assets/{file}`): a fixed list, anything else a 404. */
export function assetRouteOf(base: string, summary: string) {
  return createRoute({
    method: 'get',
    path: `${base}/assets/{file}`,
    security: [],
    summary,
    request: { params: z.object({ file: z.string().max(64) }) },
    responses: {
      200: { description: 'The file', content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } } },
      404: { description: 'No such file', content: { 'application/problem+json': { schema: z.object({ detail: z.string() }) } } },
    },
  });
}
