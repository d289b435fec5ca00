/**
 * `bun run bench:all`: runs every benchmark one after the other (each alone on the machine), then
 * renders bench/REPORT.md and the README's block from the results. About an hour on 2 cores.
 */
const runs: string[][] = [
  ['bench/floor.ts'],
  ['bench/step-overhead.ts', '--db', 'postgres'],
  ['bench/step-profile.ts'],
  ['bench/step-overhead.ts', '--db', 'pglite'],
  ['bench/checkpoint-overhead.ts'],
  ['bench/throughput.ts'],
  ['bench/peers/run.ts'],
  ['bench/scheduling.ts'],
  ['bench/memory.ts'],
  ['bench/migration.ts'],
  ['bench/crews.ts'],
  ['bench/codec.ts'],
  ['bench/tracing-overhead.ts'],
  ['test', 'test/fuzz.e2e.test.ts'],
  ['bench/locomo.ts'],
  ['bench/locomo.ts', '--db', 'pglite', '--vector-weight', '0.3', '--scale-pages', '2000'],
  ['bench/report.ts'],
];
for (const args of runs) {
  process.stderr.write(`\n==> bun ${args.join(' ')}\n`);
  const proc = Bun.spawn(['bun', ...args], { stdout: 'inherit', stderr: 'inherit', cwd: new URL('..', import.meta.url).pathname, env: { ...process.env, FUZZ_WRITE_RESULTS: '1' } });
  if ((await proc.exited) !== 0) throw new Error(`bun ${args.join(' ')} failed`);
}
