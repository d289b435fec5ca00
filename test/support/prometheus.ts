/** One sample of a scrape: metric name, labels and value. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?(?:[0-9.eE+-]+|NaN|\+Inf|-Inf))( -?[0-9]+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses the Prometheus text exposition format strictly: every line is a comment, blank, or a
 * well-formed sample of a family whose TYPE was declared at most once; anything else throws.
 */
export function parsePrometheus(text: string): { samples: PromSample[]; types: Map<string, string> } {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = line.match(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/);
      if (type) {
        if (types.has(type[1]!)) throw new Error(`line ${i + 1}: TYPE of ${type[1]} declared twice`);
        types.set(type[1]!, type[2]!);
      } else if (line.startsWith('# TYPE')) throw new Error(`line ${i + 1}: malformed TYPE line: ${line}`);
      continue;
    }
    const m = line.match(SAMPLE);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[3] ?? '';
    const rest = body.replace(LABEL, (_all, k: string, v: string) => {
      labels[k] = v.replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      return '';
    });
    if (rest.replace(/,/g, '').trim() !== '') throw new Error(`line ${i + 1}: malformed labels: ${body}`);
    samples.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return { samples, types };
}

/** The sum of a metric's samples whose labels include `match`. */
export function sumOf(samples: readonly PromSample[], name: string, match: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}
