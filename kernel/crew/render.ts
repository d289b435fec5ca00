/** What an agent template's input may quote. */
export interface RenderContext {
  /** Predecessors' results by node id (null: none, e.g. skipped). */
  results: Readonly<Record<string, string | null>>;
  /** In a foreach: the item and its index. */
  item?: string;
  index?: number;
}

/** The most of the input a rendering may produce (the spawn schema's limit). */
export const MAX_RENDERED_CHARS = 1_000_000;

/**
 * Fills an agent template's input: `{{nodes.<id>.result}}` with that predecessor's result (empty
 * when it has none), `{{item}}` and `{{index}}` in a foreach. Nothing else is interpreted.
 */
export function renderInput(template: string, ctx: RenderContext): string {
  const out = template
    .replace(/\{\{\s*nodes\.([a-z][a-z0-9_-]{0,39})\.result\s*\}\}/g, (_, id: string) => ctx.results[id] ?? '')
    .replace(/\{\{\s*item\s*\}\}/g, () => ctx.item ?? '')
    .replace(/\{\{\s*index\s*\}\}/g, () => (ctx.index === undefined ? '' : String(ctx.index)));
  return out.length > MAX_RENDERED_CHARS ? out.slice(0, MAX_RENDERED_CHARS) : out;
}

/** The items a foreach iterates over, from its source's result: a JSON array (items as text), else one item per non-empty line. */
export function itemsOf(result: string | null): string[] {
  if (result === null) return [];
  const text = result.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)```$/.exec(text);
  try {
    const parsed: unknown = JSON.parse(fenced ? fenced[1]! : text);
    if (Array.isArray(parsed)) return parsed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  } catch {
    // Not JSON: one item per line.
  }
  return text.split('\n').map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim()).filter(Boolean);
}
