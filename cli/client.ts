import createClient from 'openapi-fetch';
import type { paths } from './api-types';
import { CliError, EXIT, exitCodeOf } from './errors';
import type { Settings } from './settings';

/** The typed API client (openapi-fetch over the types generated from /openapi.json). */
export type Api = ReturnType<typeof createApi>;

/** A client for the API at `settings.url`, sending the key as a bearer token. */
export function createApi(settings: Settings) {
  return createClient<paths>({ baseUrl: settings.url, headers: settings.key ? { authorization: `Bearer ${settings.key}` } : {} });
}

/** What openapi-fetch answers. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The sentence of a problem body (RFC 9457), or of the status when the body is not one. */
function sentenceOf(error: unknown, response: Response): string {
  const p = (typeof error === 'object' && error !== null ? error : {}) as { title?: string; detail?: string; issues?: Array<{ path?: Array<string | number>; message?: string }> };
  const issues = (p.issues ?? []).map((i) => `${(i.path ?? []).join('.') || '(body)'}: ${i.message ?? ''}`).join('; ');
  const base = p.detail ?? p.title ?? `${response.status} ${response.statusText}`;
  return issues && !base.includes(issues) ? `${base} (${issues})` : base;
}

/** The data of a successful answer; an error answer becomes a {@link CliError} with its sentence and exit code. */
export async function unwrap<T>(call: Promise<Answer<T>>, what: string): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (err) {
    throw new CliError(`cannot reach the API to ${what}: ${err instanceof Error ? err.message : String(err)}`, EXIT.unavailable);
  }
  if (answer.error !== undefined || !answer.response.ok) throw new CliError(`${what}: ${sentenceOf(answer.error, answer.response)}`, exitCodeOf(answer.response.status));
  return answer.data as T;
}
