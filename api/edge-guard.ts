import type { Context, Next } from 'hono';
import type { Problem } from './problem';
import { sendProblem } from './problem';

/** Why a string cannot be stored (Postgres refuses NUL, and text must be well-formed UTF-16), or null. */
export function unstorable(value: string): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character';
  if (!value.isWellFormed()) return 'contains an unpaired UTF-16 surrogate';
  return null;
}

type Issue = NonNullable<Problem['issues']>[number];

/** Every string (keys too) in a parsed JSON value that cannot be stored, with its path. */
export function unstorableStrings(value: unknown, path: Array<string | number> = [], out: Issue[] = []): Issue[] {
  if (out.length >= 20) return out;
  if (typeof value === 'string') {
    const why = unstorable(value);
    if (why) out.push({ path, message: `the string ${why}`, code: 'invalid_string' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => unstorableStrings(v, [...path, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const why = unstorable(k);
      if (why) out.push({ path: [...path, k], message: `the key ${why}`, code: 'invalid_key' });
      unstorableStrings(v, [...path, k], out);
    }
  }
  return out;
}

/** Decodes one percent-encoded URL part; null when it is not valid UTF-8. */
function decodePart(part: string): string | null {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** Issues in the path segments and query parameters of a URL. */
function urlIssues(url: URL): Issue[] {
  const issues: Issue[] = [];
  for (const segment of url.pathname.split('/')) {
    const decoded = decodePart(segment);
    const why = decoded === null ? 'is not valid percent-encoded UTF-8' : unstorable(decoded);
    if (why) issues.push({ path: ['path'], message: `a path segment ${why}`, code: 'invalid_string' });
  }
  for (const part of url.search.slice(1).split('&').filter(Boolean)) {
    const [rawKey = '', rawValue = ''] = part.split('=');
    const key = decodePart(rawKey);
    const value = decodePart(rawValue);
    const why = key === null || value === null ? 'is not valid percent-encoded UTF-8' : (unstorable(key) ?? unstorable(value));
    if (why) issues.push({ path: ['query', key ?? rawKey], message: `a query parameter ${why}`, code: 'invalid_string' });
  }
  return issues;
}

/**
 * Middleware at the very edge: a path, query or JSON body holding a string Postgres cannot store
 * (NUL) or that is not well-formed UTF-16 (a lone surrogate) is a 400 naming where, before any
 * route or database sees it. Invalid JSON is left to the routes' validators.
 */
export async function edgeGuard(c: Context, next: Next): Promise<Response | void> {
  const fromUrl = urlIssues(new URL(c.req.url));
  if (fromUrl.length > 0) return sendProblem(c, 400, 'invalid_input', `invalid request: ${fromUrl[0]!.message}`, { issues: fromUrl });
  if ((c.req.header('content-type') ?? '').includes('json') && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return next();
    }
    const issues = unstorableStrings(body);
    if (issues.length > 0) {
      const first = issues[0]!;
      const where = first.path.length > 0 ? `${first.path.join('.')}: ` : '';
      return sendProblem(c, 400, 'invalid_input', `invalid request: ${where}${first.message}`, { issues });
    }
  }
  return next();
}
