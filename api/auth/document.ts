import { policyOf } from './policy';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of an OpenAPI document with every operation annotated with the scope it needs (`x-aok-scope`,
 * from the one policy table) and public ones marked `security: []`, so clients and the document never
 * disagree with the guard.
 */
export function withScopes(document: object): Json {
  const doc = JSON.parse(JSON.stringify(document)) as Json;
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, ops] of Object.entries(paths)) {
    if (!isObject(ops)) continue;
    for (const [method, op] of Object.entries(ops)) {
      const policy = policyOf(method.toUpperCase(), path.replace(/\{(\w+)\}/g, ':$1'));
      if (!policy || !isObject(op)) continue;
      op['x-aok-scope'] = policy.scope;
      if (policy.scope === 'public') op.security = [];
    }
  }
  return doc;
}
