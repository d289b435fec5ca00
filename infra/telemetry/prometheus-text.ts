/** One sample of a gauge family: its labels and value. */
export interface Sample {
  labels: Record<string, string | number>;
  value: number;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** A metric family in the Prometheus text exposition format (0.0.4). */
export function family(name: string, type: 'gauge' | 'counter', help: string, samples: readonly Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const s of samples) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${escape(String(v))}"`)
      .join(',');
    lines.push(`${name}${labels ? `{${labels}}` : ''} ${Number.isFinite(s.value) ? s.value : 0}`);
  }
  return `${lines.join('\n')}\n`;
}
