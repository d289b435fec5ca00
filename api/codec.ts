import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Payload } from '@temporalio/common';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { KernelError } from '../kernel/errors';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';

/** The cookie the Temporal UI sends (with "include cross-origin credentials") when it calls the codec. */
export const CODEC_COOKIE = 'aok_codec';

/** A payload as the codec-server protocol carries it (proto3 JSON: bytes in base64). */
const jsonPayload = z.object({ metadata: z.record(z.string(), z.string().max(1_000)).default({}), data: z.string().max(8 * 1024 * 1024).default('') });
const payloadsBody = z.object({ payloads: z.array(jsonPayload).max(1_000) });
type JsonPayload = z.infer<typeof jsonPayload>;

const fromJson = (p: JsonPayload): Payload => ({ metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])), data: new Uint8Array(Buffer.from(p.data, 'base64')) });
const toJson = (p: Payload): JsonPayload => ({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])), data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') });

const codecRoute = (op: 'encode' | 'decode') =>
  createRoute({
    method: 'post',
    path: `/codec/${op}`,
    summary: op === 'decode' ? 'Codec server: decrypt payloads for the Temporal UI or CLI (root keys only)' : 'Codec server: encrypt payloads (root keys only)',
    description: 'The Temporal codec-server protocol. Authenticate with a bearer key, or from the Temporal UI with the session cookie set by POST /codec/session ("include cross-origin credentials").',
    request: { body: { required: true, content: { 'application/json': { schema: payloadsBody } } } },
    responses: { 200: { description: 'The payloads', content: { 'application/json': { schema: payloadsBody } } }, 400: problemResponse('Invalid payloads'), 401: problemResponse('No or bad key'), 403: problemResponse('Not a root key'), 409: problemResponse('Payloads are not encrypted here') },
  });

const sessionRoute = createRoute({
  method: 'post',
  path: '/codec/session',
  summary: 'Start a codec session in this browser: an HttpOnly cookie the Temporal UI sends to /codec/decode',
  responses: { 204: { description: 'The cookie is set' }, 401: problemResponse('No or bad key'), 403: problemResponse('Not a root key') },
});

const endSessionRoute = createRoute({ method: 'delete', path: '/codec/session', summary: 'End the codec session (clears the cookie)', security: [], responses: { 204: { description: 'Cleared' } } });

const pageRoute = createRoute({ method: 'get', path: '/codec', security: [], summary: 'A page to start a codec session in this browser (for the Temporal UI)', responses: { 200: { description: 'The page', content: { 'text/html': { schema: z.string() } } } } });

const PAGE = `<!doctype html><meta charset="utf-8"><title>Agent OS Kernel — codec session</title>
<style>body{font:15px system-ui;margin:3rem auto;max-width:40rem}input{width:100%;font:inherit;padding:.4rem}</style>
<h1>Read encrypted payloads in the Temporal UI</h1>
<p>Paste a root API key. This browser then holds an HttpOnly cookie for this API only; in the Temporal UI, open
<em>Data Encoder</em>, set the endpoint to <code id="endpoint"></code> and turn on <em>include cross-origin credentials</em>.</p>
<form id="f"><input id="key" type="password" autocomplete="off" placeholder="aok_…"><p><button>Start session</button> <button type="button" id="end">End session</button></p></form>
<p id="out" role="status"></p>
<script>
const base = location.origin + '/codec';
document.getElementById('endpoint').textContent = base;
const out = (t) => (document.getElementById('out').textContent = t);
document.getElementById('f').onsubmit = async (e) => {
  e.preventDefault();
  const res = await fetch(base + '/session', { method: 'POST', headers: { authorization: 'Bearer ' + document.getElementById('key').value } });
  document.getElementById('key').value = '';
  out(res.ok ? 'Session started.' : 'Refused: ' + (await res.json()).detail);
};
document.getElementById('end').onclick = async () => { await fetch(base + '/session', { method: 'DELETE' }); out('Session ended.'); };
</script>`;

/** The key a codec request presents: the bearer header, else the session cookie. */
export function codecCredential(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header) return header;
  const cookie = getCookie(c, CODEC_COOKIE);
  return cookie ? `Bearer ${cookie}` : undefined;
}

/** The codec server (Temporal's remote codec protocol) and its browser session. */
export function codecRoutes(deps: ApiDeps) {
  const codec = () => {
    const c = deps.security.codec;
    if (!c) throw new KernelError('conflict', 'payloads are not encrypted here (no AOS_CODEC_KEYS): there is nothing to decode');
    return c;
  };
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(codecRoute('decode'), async (c) => {
      const decoded = await codec()
        .decode(c.req.valid('json').payloads.map(fromJson))
        .catch((err: unknown) => {
          throw new KernelError('invalid_input', `could not decode: ${err instanceof Error ? err.message : String(err)}`);
        });
      return c.json({ payloads: decoded.map(toJson) }, 200);
    })
    .openapi(codecRoute('encode'), async (c) => c.json({ payloads: (await codec().encode(c.req.valid('json').payloads.map(fromJson))).map(toJson) }, 200))
    .openapi(sessionRoute, (c) => {
      const key = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (!key) throw new KernelError('unauthorized', 'send the key as `Authorization: Bearer <key>`');
      const secure = new URL(c.req.url).protocol === 'https:';
      setCookie(c, CODEC_COOKIE, key, { path: '/codec', httpOnly: true, secure, sameSite: secure ? 'None' : 'Strict', maxAge: 8 * 3600 });
      return c.body(null, 204);
    })
    .openapi(endSessionRoute, (c) => {
      deleteCookie(c, CODEC_COOKIE, { path: '/codec' });
      return c.body(null, 204);
    })
    .openapi(pageRoute, (c) => c.html(PAGE, 200));
}
