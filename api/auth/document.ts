import { OPERATION_IDS } from '../operation-ids';
import { policyOf } from './policy';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/** The answers the edges give before any route runs, so every operation documents them. */
const EDGE_RESPONSES: Record<string, { description: string }> = {
  '400': problem('A malformed request: a string Postgres cannot store (NUL, an unpaired surrogate) anywhere in it, or invalid input'),
};
const GUARDED_RESPONSES: Record<string, { description: string }> = {
  '401': problem('No key or token, or one that is unknown, revoked or expired'),
  '403': problem('The key lacks the scope this operation needs (`x-aok-scope`), or the request is cross-site'),
  '429': problem('The key’s request rate is spent (`Retry-After` says when to retry)'),
};

/**
 * A copy of an OpenAPI document completed from the kernel's tables: every operation gets its
 * `operationId` (api/operation-ids.ts), the scope it needs (`x-aok-scope`, from the one policy table;
 * public ones `security: []`) and the problem answers the guard and the edge give (400, 401, 403,
 * 429) when its route does not declare them — so clients and the document never disagree with the
 * guard, and a generated client has a name for every method.
 */
export function withScopes(document: object): Json {
  const doc = JSON.parse(JSON.stringify(document)) as Json;
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, ops] of Object.entries(paths)) {
    if (!isObject(ops)) continue;
    for (const [method, op] of Object.entries(ops)) {
      if (!isObject(op)) continue;
      const id = OPERATION_IDS[`${method.toUpperCase()} ${path}`];
      if (id) op.operationId = id;
      const policy = policyOf(method.toUpperCase(), path.replace(/\{(\w+)\}/g, ':$1'));
      if (!policy) continue;
      op['x-aok-scope'] = policy.scope;
      if (policy.scope === 'public') op.security = [];
      const responses = isObject(op.responses) ? op.responses : (op.responses = {});
      for (const [status, answer] of Object.entries({ ...EDGE_RESPONSES, ...(policy.scope === 'public' ? {} : GUARDED_RESPONSES) })) responses[status] ??= answer;
    }
  }
  return doc;
}
