import type { HonoJsonWebKey } from 'hono/utils/jwt/jws';

const FETCH_TIMEOUT_MS = 5_000;

/**
 * The identity provider's signing keys, fetched with a deadline and cached: refreshed when they are
 * older than `ttlMs`, or when a token names an unknown `kid` — at most once per `minRefreshMs`, so a
 * flood of forged tokens never turns into a flood of requests to the provider.
 */
export class JwksCache {
  private keys: HonoJsonWebKey[] = [];
  private fetchedAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly ttlMs = 600_000,
    private readonly minRefreshMs = 30_000,
  ) {}

  /** The keys to verify a token whose header names `kid` (possibly none). */
  async keysFor(kid: string | undefined): Promise<HonoJsonWebKey[]> {
    const age = Date.now() - this.fetchedAt;
    const unknownKid = kid !== undefined && !this.keys.some((k) => k.kid === kid);
    if (age > this.ttlMs || (unknownKid && age > this.minRefreshMs)) await this.refresh();
    return this.keys;
  }

  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
        const body = (await res.json()) as { keys?: HonoJsonWebKey[] };
        this.keys = Array.isArray(body.keys) ? body.keys : [];
      } catch {
        // Keep the keys we had; a token they cannot verify is refused.
      } finally {
        this.fetchedAt = Date.now();
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
