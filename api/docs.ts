import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { assetRouteOf, pageHeaders } from './static-pages';
import { validationHook } from './validation';
import { sendProblem } from './problem';

/** The Swagger UI files the page loads, served from the installed `swagger-ui-dist` (no CDN). */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};
const DIST = new URL('.', `file://${Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir)}`).pathname;

/** Starts Swagger UI on /openapi.json; a file of its own, so the page needs no inline script. */
const INIT = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs', deepLinking: true, persistAuthorization: false, tryItOutEnabled: false, displayOperationId: true });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agent OS Kernel — API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<main id="docs" aria-label="API reference"><noscript>The API reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript></main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

const SECURITY_HEADERS = pageHeaders('inline');

const docsRoute = createRoute({
  method: 'get',
  path: '/docs',
  security: [],
  summary: 'The API reference (Swagger UI over /openapi.json, served from this origin)',
  responses: { 200: { description: 'An HTML page', content: { 'text/html': { schema: z.string() } } } },
});

const assetRoute = assetRouteOf('/docs', 'A file of the API reference page');

/** `GET /docs`: the API reference, and its assets (a fixed list of files; anything else is a 404). */
export function docsRoutes() {
  const app = new OpenAPIHono({ defaultHook: validationHook }).openapi(docsRoute, (c) => c.html(PAGE, 200, SECURITY_HEADERS));
  app.openAPIRegistry.registerPath(assetRoute);
  app.get('/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    if (file === 'init.js') return c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
    const type = ASSETS[file];
    if (!type) return sendProblem(c, 404, 'not_found', 'no such docs asset');
    return c.body(await Bun.file(`${DIST}${file}`).arrayBuffer(), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400', ...SECURITY_HEADERS });
  });
  return app;
}
