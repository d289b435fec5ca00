/**
 * `bun run gen:client`: regenerates `cli/api-types.ts` (the types of the `aos` CLI's client) from the
 * API's /openapi.json, with openapi-typescript. That generator drives the TypeScript 5 compiler API,
 * which the project's TypeScript 7 (native) does not have, so it runs through `bunx` with its own
 * pinned TypeScript 5; the generated file is committed and only types are used at run time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../infra/logger';
import { main } from '../infra/main';
import { startStack } from '../infra/stack';
import { loadConfig } from '../kernel/config';

const GENERATOR = ['bunx', '-p', 'typescript@5.9.3', '-p', 'openapi-typescript@7.13.0', 'openapi-typescript'];

main(async () => {
  const config = loadConfig({ LOG_LEVEL: 'warn', AOS_PLAINTEXT_PAYLOADS: 'true' });
  const stack = await startStack({ config, logger: createLogger('warn'), database: { pgliteDir: 'memory://' }, devServer: { ui: false }, worker: false, apiPort: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'aok-gen-client-'));
  try {
    const document = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as Record<string, unknown>;
    // The server entry names this throwaway stack's port: not part of the client's types.
    delete document.servers;
    const input = join(dir, 'openapi.json');
    writeFileSync(input, JSON.stringify(document));
    const out = new URL('../cli/api-types.ts', import.meta.url).pathname;
    const gen = Bun.spawn([...GENERATOR, input, '--alphabetize', '-o', out], { stdout: 'inherit', stderr: 'inherit' });
    if ((await gen.exited) !== 0) throw new Error('openapi-typescript failed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await stack.stop();
  }
  // The Temporal runtime keeps the process alive after its connections close.
  process.exit(0);
});
