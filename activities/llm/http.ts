import { ProviderError } from '../../kernel/llm/errors';

async function post(provider: string, url: string, headers: Record<string, string>, body: unknown, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ProviderError(provider, 503, `could not reach ${url}: ${(err as Error).message}`);
  }
  if (!response.ok) {
    const text = await response.text();
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ProviderError(provider, response.status, text.slice(0, 500), Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }
  return response;
}

/** POSTs JSON to a model provider and returns the parsed body, or throws a classified {@link ProviderError}. */
export async function postJson(provider: string, url: string, headers: Record<string, string>, body: unknown, signal?: AbortSignal): Promise<unknown> {
  const text = await (await post(provider, url, headers, body, signal)).text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError(provider, 502, `answered with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** POSTs JSON and returns the streamed body (Server-Sent Events), or throws a classified {@link ProviderError}. */
export async function postStream(provider: string, url: string, headers: Record<string, string>, body: unknown, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const response = await post(provider, url, { accept: 'text/event-stream', ...headers }, body, signal);
  if (!response.body) throw new ProviderError(provider, 502, 'answered a streaming request with no body');
  return response.body;
}
