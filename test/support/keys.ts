/** Credentials of test stacks and benches: a fixed root key (stored by the stack at start) and a fetch that sends it. */
export const TEST_ROOT_KEY = 'aok_testroot0000_' + 'T'.repeat(43);

/** A fixed payload encryption key of test stacks (every test runs with encrypted payloads). */
export const TEST_CODEC_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`;

/** The scripted model is free; tests price it (as an operator would a self-hosted model) so budgets and bills are exercised. */
export const TEST_MODEL_PRICES = JSON.stringify({ scripted: { inputPerMTok: 1, outputPerMTok: 2 } });

/** Environment that makes a stack store {@link TEST_ROOT_KEY} as its root key, encrypt payloads, and lifts the rate limit (tests and benches send bursts). */
export const TEST_AUTH_ENV: Record<string, string> = { AOS_BOOTSTRAP_KEY: TEST_ROOT_KEY, AOS_RATE_LIMIT_PER_MINUTE: '0', AOS_CODEC_KEYS: TEST_CODEC_KEYS, MODEL_PRICES: TEST_MODEL_PRICES };

/** Adds `Authorization: Bearer <key>` to a request's headers unless it has one. */
export function withKey(init: RequestInit = {}, key = TEST_ROOT_KEY): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${key}`);
  return { ...init, headers };
}

/** `fetch` as the root key (tests of the API's behaviour, not of its authentication). */
export function rootFetch(url: string, init?: RequestInit): Promise<Response> {
  return fetch(url, withKey(init));
}
