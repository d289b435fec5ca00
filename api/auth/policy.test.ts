import { describe, expect, test } from 'bun:test';
import { createApp } from '../app';
import type { ApiDeps } from '../deps';
import { pathParams, ROUTE_POLICIES } from './policy';
import { RateLimiter } from './rate-limit';
import { NO_LIMITS } from '../../kernel/limits';

/** Enough of the deps to build the app and read its route table (no request is served). */
const deps = { logger: { debug() {}, error() {} }, security: { auth: {}, limiter: new RateLimiter(0), allowedOrigins: [], limits: NO_LIMITS, openStreams: new Map(), codec: undefined } } as unknown as ApiDeps;

describe('deny by default', () => {
  const routes = createApp(deps)
    .routes.filter((r) => r.method !== 'ALL')
    .map((r) => `${r.method} ${r.path}`);

  test('every route the app serves declares a policy', () => {
    expect(routes.length).toBeGreaterThan(50);
    expect(routes.filter((r) => !(r in ROUTE_POLICIES))).toEqual([]);
  });

  test('no policy names a route that does not exist (a renamed route cannot keep a stale rule)', () => {
    expect(Object.keys(ROUTE_POLICIES).filter((k) => !routes.includes(k))).toEqual([]);
  });

  test('only health, the OpenAPI document, the reference and console pages (which hold no data) and the codec handshake are public', () => {
    expect(Object.entries(ROUTE_POLICIES).filter(([, p]) => p.scope === 'public').map(([k]) => k).sort()).toEqual(['DELETE /codec/session', 'GET /codec', 'GET /console', 'GET /console/assets/:file', 'GET /docs', 'GET /docs/assets/:file', 'GET /health', 'GET /livez', 'GET /openapi.json', 'GET /readyz']);
  });

  test('every route whose path names an agent, crew, schedule, memory or key checks that row’s tenant', () => {
    const unguarded = Object.entries(ROUTE_POLICIES).filter(([k, p]) => /\/(agents|crews|batches|schedules|memories|keys|tenants)\/:(id|memoryId|tenant)/.test(k) && !('resource' in p && p.resource));
    expect(unguarded.map(([k]) => k)).toEqual([]);
  });

  test('path parameters are read segment by segment and decoded', () => {
    expect(pathParams('/agents/:id/checkpoints/:cid', '/agents/a%20b/checkpoints/c1')).toEqual({ id: 'a b', cid: 'c1' });
  });
});

describe('rate limit', () => {
  test('a token bucket: the burst, then a wait that says how long', () => {
    const limiter = new RateLimiter(3);
    const t = 1_000_000;
    expect([limiter.take('k', t), limiter.take('k', t), limiter.take('k', t)]).toEqual([0, 0, 0]);
    expect(limiter.take('k', t)).toBe(20);
    expect(limiter.take('other', t)).toBe(0);
    expect(limiter.take('k', t + 20_000)).toBe(0);
  });
});
