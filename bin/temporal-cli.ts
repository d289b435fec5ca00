/** `bun bin/temporal-cli.ts`: finds (or builds once, from the Go proxy) the pinned Temporal CLI and prints its path. */
import { main } from '../infra/main';
import { resolveTemporalBinary } from '../infra/temporal/binary';

main(async () => {
  process.stdout.write(`${await resolveTemporalBinary()}\n`);
});
