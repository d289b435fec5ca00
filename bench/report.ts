/**
 * `bun bench/report.ts`: regenerates bench/REPORT.md and the README's benchmark block (between the
 * `bench:begin` and `bench:end` markers) and the charts in bench/report/charts/ from the committed
 * results in bench/results/. The README
 * quotes no figure that is not in a result file; test/readme-figures.test.ts checks both are current.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { renderCharts } from './report/charts';
import { renderReadmeBlock, renderReport, type Results } from './report/render';

/** Every committed result, by name. */
export function loadResults(dir = new URL('./results/', import.meta.url).pathname): Results {
  const results: Results = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) results[file.replace(/\.json$/, '')] = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as Record<string, unknown>;
  return results;
}

/** The README with its benchmark block replaced. */
export function withReadmeBlock(readme: string, block: string): string {
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const i = readme.indexOf(begin);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error('README.md has no <!-- bench:begin --> … <!-- bench:end --> block');
  return `${readme.slice(0, i + begin.length)}\n${block}\n${readme.slice(j)}`;
}

if (import.meta.main) {
  const results = loadResults();
  const report = new URL('./REPORT.md', import.meta.url).pathname;
  writeFileSync(report, `${renderReport(results)}\n`);
  const charts = new URL('./report/charts/', import.meta.url).pathname;
  mkdirSync(charts, { recursive: true });
  for (const [name, svg] of Object.entries(await renderCharts(results))) writeFileSync(`${charts}${name}.svg`, svg);
  const readmePath = new URL('../README.md', import.meta.url).pathname;
  writeFileSync(readmePath, withReadmeBlock(readFileSync(readmePath, 'utf8'), renderReadmeBlock(results)));
  console.log(`wrote ${report} and the README's benchmark block from ${Object.keys(results).length} results`);
}
