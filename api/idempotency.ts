import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { claimKey, completeKey, releaseKey } from '../db/idempotency';
import type { Db } from '../db/client';
import { sendProblem } from './problem';

const KEY = /^[\x21-\x7e]{1,200}$/;
/** Answers larger than this are not kept (the request still runs once; a replay then says so). */
const MAX_STORED_BYTES = 1_000_000;
/** When a retry that found its key still in progress should come back. */
const IN_PROGRESS_RETRY_AFTER_S = 1;

/**
 * `Idempotency-Key` on POST: the first request with a key runs and its answer is kept (24 h, per
 * tenant); a retry with the same key and the same request gets that answer again
 * (`Idempotent-Replayed: true`) and causes nothing; the same key with another request is 422; while
 * the first is still running, 409. A 5xx answer releases the key, so a retry runs again.
 */
export function idempotency(db: Db): MiddlewareHandler {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!KEY.test(key)) return sendProblem(c, 400, 'invalid_input', 'Idempotency-Key must be 1–200 visible ASCII characters');
    const principal = c.get('principal');
    if (!principal) return next();
    const body = await c.req.text();
    const hash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');
    const claim = await claimKey(db, principal.tenant, key, hash);
    if (claim.kind === 'mismatch') return sendProblem(c, 422, 'invalid_input', 'this Idempotency-Key was used for a different request; use a new key');
    // The first may be one whose client already got a 503 at the request deadline (it still runs): say when to come back.
    if (claim.kind === 'in_progress') return sendProblem(c, 409, 'conflict', 'a request with this Idempotency-Key is still being answered; retry shortly', {}, IN_PROGRESS_RETRY_AFTER_S);
    if (claim.kind === 'replay') {
      const headers: Record<string, string> = { 'content-type': claim.status >= 400 ? 'application/problem+json' : 'application/json', 'idempotent-replayed': 'true' };
      if (claim.location) headers.location = claim.location;
      return new Response(JSON.stringify(claim.body), { status: claim.status, headers });
    }
    try {
      await next();
    } catch (err) {
      await releaseKey(db, principal.tenant, key);
      throw err;
    }
    const res = c.res;
    if (res.status >= 500) {
      await releaseKey(db, principal.tenant, key);
      return;
    }
    const text = await res.clone().text();
    let stored: unknown = null;
    try {
      stored = text.length <= MAX_STORED_BYTES ? JSON.parse(text || 'null') : { note: 'the first answer was too large to keep; the request ran once' };
    } catch {
      stored = { note: 'the first answer was not JSON; the request ran once' };
    }
    await completeKey(db, principal.tenant, key, { status: res.status, body: stored, location: res.headers.get('location') });
  };
}
