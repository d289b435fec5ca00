/**
 * Request generators for a property-based fuzz over an OpenAPI 3.1 document: for every operation,
 * path parameters drawn from known ids and hostile strings, query parameters and JSON bodies built
 * from the operation's schemas, then mutated (fields dropped, wrong types, extra keys, NUL bytes,
 * lone surrogates, huge strings) — or replaced by arbitrary JSON or text that is not JSON at all.
 */
import fc from 'fast-check';

/** The part of a JSON Schema the generators read. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  additionalProperties?: boolean | JsonSchema;
}

/** One operation of the document. */
export interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: Array<{ name: string; schema: JsonSchema }>;
  body: JsonSchema | undefined;
  /** The scope the route needs (`x-aok-scope`), `public` for none. */
  scope: string;
}

/** A request to send. */
export interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema?: JsonSchema }>; requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; 'x-aok-scope'?: string }>>;
}

/** Every operation in an OpenAPI document. */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
        scope: op['x-aok-scope'] ?? 'unknown',
      });
    }
  }
  return ops;
}

/** Strings a careless edge lets through to Postgres or a log. */
export const hostileString = fc.oneof(
  fc.constantFrom('', ' ', 'a\u0000b', '\u0000', 'x\ud800y', '\udc00', '../../etc/passwd', "'; drop table agents; --", '%00', '%ED%A0%80', '1e308', '-1', 'NaN', '\u202e\u0301', '😀'.repeat(50)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat({ max: 200_000 }).map((n) => 'z'.repeat(n)),
);

/** An arbitrary value that fits `schema` (roughly: enough to get past validation most of the time). */
export function valueFor(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => valueFor(v, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) });
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1_000, -1_000_000), max: Math.min(schema.maximum ?? 1_000, 1_000_000) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 1_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(valueFor(schema.items ?? {}, depth + 1), { maxLength: 3 });
    case 'object': {
      if (depth > 3 || !schema.properties) return fc.constant({});
      const required = new Set(schema.required ?? []);
      const keys = Object.keys(schema.properties);
      return fc.record(Object.fromEntries(keys.map((k) => [k, valueFor(schema.properties![k]!, depth + 1)])), { requiredKeys: keys.filter((k) => required.has(k)) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Mutations of a valid-looking body: a field dropped, retyped, made hostile, or a key added. */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fc.oneof(fc.constant(value), hostileString, fc.jsonValue({ maxDepth: 2 }));
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const options: Array<fc.Arbitrary<unknown>> = [fc.constant(obj), hostileString.map((s) => ({ ...obj, [s.slice(0, 20) || 'extra']: 1 }))];
  if (keys.length > 0) {
    options.push(
      fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(obj).filter(([key]) => key !== k))),
      fc.tuple(fc.constantFrom(...keys), hostileString).map(([k, s]) => ({ ...obj, [k]: s })),
      fc.tuple(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ ...obj, [k]: v })),
      fc.tuple(fc.constantFrom(...keys), fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53, 0.5, true, null, [], {})).map(([k, v]) => ({ ...obj, [k]: v })),
    );
  }
  return fc.oneof(...options);
}

/** Percent-encodes a URL part; a lone surrogate (which encodeURIComponent refuses) goes out as its raw UTF-8-like bytes, and a literal %00 or %ED stays hostile. */
function encodePart(value: string): string {
  try {
    return encodeURIComponent(value).replace(/%25(00|ED)/gi, '%$1');
  } catch {
    return '%ED%A0%80';
  }
}

/** Requests for one operation: hostile or known path parameters, query values and bodies, or raw text. */
export function requestsFor(op: Operation, knownIds: readonly string[]): fc.Arbitrary<FuzzRequest> {
  // Path parameters stay under Bun's request-line limit (longer lines get its own 431 before any route).
  const param = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...knownIds) }, { weight: 2, arbitrary: hostileString.map((s) => s.slice(0, 2_000)) });
  const path = fc.tuple(...op.pathParams.map(() => param)).map((values) => {
    let p = op.path;
    op.pathParams.forEach((name, i) => {
      p = p.replace(`{${name}}`, encodePart(String(values[i])));
    });
    return p;
  });
  const query = op.query.length === 0
    ? fc.constant('')
    : fc.tuple(...op.query.map((q) => fc.option(fc.oneof(valueFor(q.schema).map(String), hostileString.map((s) => s.slice(0, 2_000))), { nil: undefined }))).map((values) => {
        const pairs = op.query.flatMap((q, i) => (values[i] === undefined ? [] : [`${encodeURIComponent(q.name)}=${encodePart(values[i]!)}`]));
        return pairs.length ? `?${pairs.join('&')}` : '';
      });
  const body: fc.Arbitrary<{ body?: string; contentType?: string }> = op.method === 'GET' || op.method === 'HEAD'
    ? fc.constant({})
    : op.body
    ? fc.oneof(
        { weight: 4, arbitrary: valueFor(op.body).chain(mutate).map((v) => ({ body: JSON.stringify(v), contentType: 'application/json' })) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ body: JSON.stringify(v), contentType: 'application/json' })) },
        { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => ({ body: s, contentType: 'application/json' })) },
        { weight: 1, arbitrary: fc.constant({}) },
      )
    : fc.oneof(fc.constant({}), fc.jsonValue({ maxDepth: 1 }).map((v) => ({ body: JSON.stringify(v), contentType: 'application/json' })));
  return fc.tuple(path, query, body).map(([p, q, b]) => ({ method: op.method, path: `${p}${q}`, ...b }));
}
