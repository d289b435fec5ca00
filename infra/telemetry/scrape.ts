import { temporalRuntimeMetricsUrl } from '../temporal/runtime';
import { processMetricsText } from './metrics';

/** The Temporal SDK core's metrics of this process (empty when it serves none or does not answer within a second). */
async function temporalCoreText(): Promise<string> {
  const url = temporalRuntimeMetricsUrl();
  if (!url) return '';
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

/** What this process measures: the kernel's instruments and, where it runs workers, the Temporal SDK core's. */
export async function nodeMetricsText(): Promise<string> {
  const [own, core] = await Promise.all([processMetricsText(), temporalCoreText()]);
  return `${own}\n${core}`;
}

/** The exposition format's content type. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Serves this process's metrics at `http://<host>:<port>/metrics` (a worker-only node); returns how to stop. */
export function serveNodeMetrics(host: string, port: number): { url: string; stop: () => Promise<void> } {
  const server = Bun.serve({
    hostname: host,
    port,
    fetch: async (req) => {
      if (new URL(req.url).pathname !== '/metrics') return new Response('not found\n', { status: 404 });
      return new Response(await nodeMetricsText(), { headers: { 'content-type': PROMETHEUS_CONTENT_TYPE } });
    },
  });
  return { url: `http://${host}:${server.port}/metrics`, stop: () => server.stop(true) };
}
