import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { sendProblem } from './problem';
import { assetRouteOf, pageHeaders } from './static-pages';
import { validationHook } from './validation';

const DIR = new URL('../console/', import.meta.url).pathname;

const SECURITY_HEADERS = pageHeaders('self');

let script: Promise<string> | undefined;
/** The console's script, bundled by Bun from console/app.ts on first use (no separate dev server, nothing to build first). */
function bundle(): Promise<string> {
  script ??= Bun.build({ entrypoints: [`${DIR}app.ts`], target: 'browser', minify: true }).then(async (out) => {
    if (!out.success || !out.outputs[0]) throw new Error(`the console did not build: ${out.logs.map(String).join('; ')}`);
    return out.outputs[0].text();
  });
  script.catch(() => {
    script = undefined;
  });
  return script;
}

const consoleRoute = createRoute({
  method: 'get',
  path: '/console',
  security: [],
  summary: 'The kernel console: agents, their context, approvals, checkpoints, nodes and usage (it calls this API with the key entered in it)',
  responses: { 200: { description: 'An HTML page', content: { 'text/html': { schema: z.string() } } } },
});

const assetRoute = assetRouteOf('/console', 'A file of the console (its script and style)');

/** `GET /console` and its two assets, served by the API on its own origin. */
export function consoleRoutes() {
  const app = new OpenAPIHono({ defaultHook: validationHook }).openapi(consoleRoute, async (c) => c.html(await Bun.file(`${DIR}index.html`).text(), 200, SECURITY_HEADERS));
  app.openAPIRegistry.registerPath(assetRoute);
  app.get('/console/assets/:file', async (c) => {
    const file = c.req.param('file');
    if (file === 'app.js') return c.body(await bundle(), 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
    if (file === 'style.css') return c.body(await Bun.file(`${DIR}style.css`).text(), 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
    return sendProblem(c, 404, 'not_found', 'no such console asset');
  });
  return app;
}
