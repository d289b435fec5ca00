import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { loadResults, withReadmeBlock } from '../bench/report';
import { renderReadmeBlock, renderReport } from '../bench/report/render';
import { renderCharts } from '../bench/report/charts';

/** The README and bench/REPORT.md quote figures only from committed result files, and are current with them. */
describe('figures come from files', () => {
  const results = loadResults();
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  test('the README benchmark block is what bench/report.ts renders from bench/results/', () => {
    expect(withReadmeBlock(readme, renderReadmeBlock(results))).toBe(readme);
  });

  test('bench/REPORT.md is what bench/report.ts renders from bench/results/', () => {
    expect(readFileSync(new URL('../bench/REPORT.md', import.meta.url), 'utf8')).toBe(`${renderReport(results)}\n`);
  });

  test('each chart in bench/report/charts/ is what bench/report.ts renders, and the report shows every one', async () => {
    const charts = await renderCharts(results);
    const report = readFileSync(new URL('../bench/REPORT.md', import.meta.url), 'utf8');
    expect(Object.keys(charts).length).toBeGreaterThan(0);
    for (const [name, svg] of Object.entries(charts)) {
      expect({ name, same: readFileSync(new URL(`../bench/report/charts/${name}.svg`, import.meta.url), 'utf8') === svg }).toEqual({ name, same: true });
      expect(report).toContain(`report/charts/${name}.svg`);
    }
  });

  test('every result records its machine and date', () => {
    for (const [name, r] of Object.entries(results)) {
      expect({ name, cpuModel: typeof (r?.machine as { cpuModel?: unknown } | undefined)?.cpuModel, date: typeof r?.date }).toEqual({ name, cpuModel: 'string', date: 'string' });
    }
  });
});
