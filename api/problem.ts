import { isDatabaseUnreachable } from '../db/unreachable';
import { noteDatabaseUnreachable } from './db-outage';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { isKernelError } from '../kernel/errors';

/** An RFC 9457 problem body: every error the API returns has this shape. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  /** What was wrong, where: zod issues for a body, or the nodes a crew graph problem concerns. */
  issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string(), code: z.string().optional(), nodes: z.array(z.string()).optional() })).optional(),
});

/** A problem body. */
export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Seconds a client should wait before retrying a 503 when the error names none. */
export const DEFAULT_RETRY_AFTER_S = 5;

/** Sends `problem` as `application/problem+json`; a 503 or 429 carries Retry-After, a 401 says how to authenticate. */
export function sendProblem(c: Context, status: number, code: string, detail: string, extra: Partial<Problem> = {}, retryAfterS?: number): Response {
  const body: Problem = { type: `urn:aok:problem:${code}`, title: TITLES[status] ?? 'Error', status, detail, instance: c.req.path.slice(0, 300), ...extra };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (status === 503 || status === 429 || retryAfterS !== undefined) headers['retry-after'] = String(retryAfterS ?? DEFAULT_RETRY_AFTER_S);
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="aok"';
  return c.body(JSON.stringify(body), status as ContentfulStatusCode, headers);
}

/** Turns zod issues into the problem's `issues` list. */
export function zodIssues(error: z.ZodError): NonNullable<Problem['issues']> {
  return error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: i.message, code: i.code }));
}

/** Hono's onError: typed kernel errors keep their status; a database that cannot be reached is a 503; anything else is a logged 500. */
export function errorToProblem(err: Error, c: Context, log: (err: Error) => void): Response {
  if (isKernelError(err)) {
    if (err.status >= 500) log(err);
    const issues = Array.isArray(err.details) ? (err.details as Problem['issues']) : undefined;
    return sendProblem(c, err.status, err.code, err.message, issues ? { issues } : {}, err.retryAfterS);
  }
  if (isDatabaseUnreachable(err)) {
    noteDatabaseUnreachable();
    return sendProblem(c, 503, 'unavailable', 'the database is not answering; retry shortly (a create with the same Idempotency-Key, so it happens once)', {}, 5);
  }
  if (err instanceof HTTPException && err.status < 500) return sendProblem(c, err.status, err.status === 413 ? 'too_large' : 'invalid_input', err.message);
  if (err instanceof SyntaxError) return sendProblem(c, 400, 'invalid_json', 'the body is not valid JSON');
  log(err);
  return sendProblem(c, 500, 'internal', 'an unexpected error occurred; it has been logged');
}
