import { and, asc, desc, eq, gt, type SQL } from 'drizzle-orm';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { EVENTS_CHANNEL } from '../db/events';
import { agentEvents } from '../db/schema';
import { KernelError } from '../kernel/errors';
import type { ApiDeps } from './deps';
import { streamSlot } from './auth/caps';
import { principalOf } from './auth/guard';
/** A comment line goes out after this long without an event, so idle connections are never cut. */
export const KEEP_ALIVE_MS = 5_000;
const BATCH = 500;

/** The cursor from `Last-Event-ID` or `?after=`: a whole, non-negative, safe number, else a 400. */
export function parseCursor(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,15}$/.test(raw)) throw new KernelError('invalid_input', 'Last-Event-ID (or ?after=) must be a whole number of at most 15 digits: the id of the last event received');
  return Number(raw);
}

/** The Bun server behind a request, when the API runs on Bun.serve (per-request idle timeouts). */
interface BunServerLike {
  timeout?: (request: Request, seconds: number) => void;
}

/** What one event stream follows: its subject (an agent, a crew, or a tenant's events), the event that ends it, and work to do once headers are out. */
export interface StreamSubject {
  /** One agent's or crew's events; absent: those `where` selects (a tenant-wide stream). */
  id?: string;
  /** The rows of a stream without one subject, and which notified subjects may have new ones. */
  where?: SQL;
  wakesOn?: (subjectId: string) => boolean;
  /** Each event names its subject (`agentId` in its data): for streams over many. */
  named?: boolean;
  /** Without `Last-Event-ID` or `?after=`, start at the newest event rather than the first (a tenant's history is long). */
  fromNow?: boolean;
  /** The event that ends the stream; absent: it runs until the client leaves. */
  terminalKind?: string;
  /** Runs after the headers are sent (e.g. reconciling a run closed outside the kernel, so the stream can end). */
  onOpen?: () => Promise<unknown>;
}

/**
 * Server-Sent Events of an agent, a crew or a tenant — the backlog after `Last-Event-ID` (or `?after=`),
 * then live events as Postgres NOTIFYs them, until the terminal event or the client leaves.
 * Headers go out at once; a keep-alive comment follows every quiet spell.
 */
export async function streamEvents(deps: ApiDeps, c: Context, subject: StreamSubject): Promise<Response> {
  const id = subject.id;
  const asked = c.req.header('last-event-id') ?? c.req.query('after');
  let cursor = parseCursor(asked);
  if (subject.fromNow && (asked === undefined || asked === '')) {
    const [last] = await deps.db.select({ seq: agentEvents.seq }).from(agentEvents).orderBy(desc(agentEvents.seq)).limit(1);
    cursor = last?.seq ?? 0;
  }
  const slot = streamSlot(deps, principalOf(c).tenant);
  // The stream may stay quiet for long: no server idle timeout for it (keep-alives cover proxies).
  (c.env as BunServerLike | undefined)?.timeout?.(c.req.raw, 0);

  return streamSSE(c, async (stream) => {
    let wake: (() => void) | undefined;
    let unlisten: (() => Promise<void>) | undefined;
    stream.onAbort(() => wake?.());
    try {
      unlisten = await deps.pubsub.listen(EVENTS_CHANNEL, (agentId) => {
        if (id !== undefined ? agentId === id : (subject.wakesOn?.(agentId) ?? true)) wake?.();
      });
      await stream.write(': connected\n\n');
      await subject.onOpen?.();
      let finished = false;
      while (!finished && !stream.aborted) {
        const pending = new Promise<void>((resolve) => {
          wake = resolve;
        });
        const rows = await deps.db.select().from(agentEvents).where(and(id !== undefined ? eq(agentEvents.agentId, id) : subject.where, gt(agentEvents.seq, cursor))).orderBy(asc(agentEvents.seq)).limit(BATCH);
        for (const e of rows) {
          await stream.writeSSE({ id: String(e.seq), event: e.kind, data: JSON.stringify({ ...(subject.named ? { agentId: e.agentId } : {}), step: e.step, ...(e.data as object), at: e.createdAt.toISOString() }) });
          cursor = e.seq;
          if (e.kind === subject.terminalKind) finished = true;
        }
        if (finished || rows.length === BATCH) continue;
        const woken = await Promise.race([pending.then(() => true), stream.sleep(KEEP_ALIVE_MS).then(() => false)]);
        if (!woken && !stream.aborted) await stream.write(': keep-alive\n\n');
      }
    } finally {
      slot.release();
      await unlisten?.();
    }
  });
}
