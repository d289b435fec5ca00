import { CliError, EXIT, exitCodeOf } from './errors';
import type { Settings } from './settings';

/** One Server-Sent Event of an agent or crew stream. */
export interface StreamEvent {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads an event stream (`/agents/:id/events`, `/crews/:id/events`) as parsed events. With
 * `idleMs`, stops after that long without an event (the backlog is out: `aos logs` without -f).
 */
export async function* readEvents(settings: Settings, path: string, options: { idleMs?: number; signal?: AbortSignal } = {}): AsyncGenerator<StreamEvent> {
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort());
  let res: Response;
  try {
    res = await fetch(`${settings.url}${path}`, { headers: { accept: 'text/event-stream', ...(settings.key ? { authorization: `Bearer ${settings.key}` } : {}) }, signal: controller.signal });
  } catch (err) {
    throw new CliError(`cannot reach the API to follow ${path}: ${err instanceof Error ? err.message : String(err)}`, EXIT.unavailable);
  }
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as { detail?: string };
    throw new CliError(`follow ${path}: ${body.detail ?? `${res.status} ${res.statusText}`}`, exitCodeOf(res.status));
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let idle: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (options.idleMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(), options.idleMs);
  };
  arm();
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch {
        return; // aborted: idle, or the caller stopped
      }
      if (chunk.done) return;
      buffer += chunk.value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: string | undefined;
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'id') id = value;
          else if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length === 0) continue;
        arm();
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(data.join('\n')) as Record<string, unknown>;
        } catch {
          parsed = { text: data.join('\n') };
        }
        yield { id, event, data: parsed };
      }
    }
  } finally {
    clearTimeout(idle);
    controller.abort();
  }
}
