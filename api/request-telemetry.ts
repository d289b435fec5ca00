import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { kernelMetrics } from '../infra/telemetry/metrics';
import { currentTracing } from '../infra/telemetry/tracing';
import type { Logger } from '../infra/logger';

const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

/**
 * Every request: a debug log line and the latency histogram, keyed by the route pattern (ids and
 * names in a path can be user content). With tracing on, the request runs inside a server span
 * continued from the caller's `traceparent`, and everything it starts (workflows, signals) joins
 * that trace; the response carries `traceparent` back.
 */
export function requestTelemetry(logger: Logger): MiddlewareHandler {
  const observe = (route: string, method: string, status: number, started: number, requestId: unknown) => {
    const ms = performance.now() - started;
    kernelMetrics.http(route, method, status, ms / 1000);
    logger.debug({ method, route, status, ms: Math.round(ms), requestId }, 'request');
  };
  return async (c, next) => {
    const started = performance.now();
    if (!currentTracing()) {
      await next();
      observe(c.req.routePath, c.req.method, c.res.status, started, c.get('requestId'));
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    const span = trace.getTracer('agent-os-kernel/api').startSpan(c.req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method, 'url.scheme': 'http' } }, parent);
    // The request's log line is written inside its span, so it carries the trace and span ids.
    await context.with(trace.setSpan(parent, span), async () => {
      try {
        await next();
      } finally {
        const route = c.req.routePath;
        span.updateName(`${c.req.method} ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', c.res.status);
        if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        const carrier: Record<string, string> = {};
        propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
        try {
          if (carrier.traceparent && !c.res.headers.get('content-type')?.startsWith('text/event-stream')) c.res.headers.set('traceparent', carrier.traceparent);
        } catch {
          // A response with immutable headers goes out without it.
        }
        observe(route, c.req.method, c.res.status, started, c.get('requestId'));
        span.end();
      }
    });
  };
}
