/** `bun bin/jaeger.ts`: finds (or builds once, from the Go proxy) the pinned Jaeger and prints its path. */
import { main } from '../infra/main';
import { resolveJaegerBinary } from '../infra/telemetry/jaeger';

main(async () => {
  process.stdout.write(`${await resolveJaegerBinary()}\n`);
});
