#!/usr/bin/env bun
/**
 * `aos`: the kernel's command line, on a client typed from /openapi.json (openapi-fetch) with
 * commander for verbs and help. `aos --help` lists the verbs; every verb takes `--json`.
 */
import { Command, CommanderError } from 'commander';
import { createApi } from './client';
import { CliError, EXIT } from './errors';
import { resolveSettings } from './settings';
import { agentVerbs } from './verbs/agents';
import { clusterVerbs } from './verbs/cluster';
import { crewVerbs } from './verbs/crews';
import { scheduleVerbs } from './verbs/schedules';
import { forgetVerbs } from './verbs/forget';
import { memoryVerbs } from './verbs/memory';
import { configVerbs } from './verbs/config';
import type { VerbContext } from './verbs/context';

const EXIT_HELP = `
Settings: --url/--key, else AOS_URL/AOS_KEY, else ${'$'}AOS_CONFIG or ~/.config/aos/config.json ({"url", "key"}); default http://127.0.0.1:3000.
Exit codes: 0 ok, 1 server error, 2 bad command line, 3 not found, 4 no/bad key or scope, 5 refused (400/409), 6 unreachable, 7 rate limited, 8 the awaited agent, crew or batch failed.`;

const program = new Command('aos')
  .description('Agent OS Kernel: spawn, watch and steer agents')
  .option('--url <url>', 'the API (AOS_URL)')
  .option('--key <key>', 'an API key (AOS_KEY)')
  .option('--json', 'print the API’s answers as JSON')
  .addHelpText('after', EXIT_HELP)
  .showHelpAfterError('(aos --help lists the verbs)')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

let context: VerbContext | undefined;
/** Built on first use, after the global options are parsed. */
const ctx = (): VerbContext => {
  if (context) return context;
  const opts = program.opts<{ url?: string; key?: string; json?: boolean }>();
  const settings = resolveSettings({ url: opts.url, key: opts.key });
  const tty = process.stderr.isTTY === true;
  // A progress line on the terminal is erased before any output, so the two never share a line.
  let progressShown = false;
  context = {
    api: createApi(settings),
    settings,
    json: opts.json === true,
    out: (text) => {
      if (progressShown) process.stderr.write('\r\x1b[2K');
      progressShown = false;
      process.stdout.write(`${text}\n`);
    },
    progress: (text) => {
      if (!tty) return;
      process.stderr.write(`\r\x1b[2K${text}`);
      progressShown = true;
    },
  };
  return context;
};

agentVerbs(program, ctx);
clusterVerbs(program, ctx);
crewVerbs(program, ctx);
scheduleVerbs(program, ctx);
forgetVerbs(program, ctx);
memoryVerbs(program, ctx);
configVerbs(program, ctx);
for (const sub of program.commands) sub.option('--json', 'print the API’s answer as JSON').exitOverride();

try {
  // A verb's own --json counts like the global one.
  const argv = process.argv.slice(2);
  await program.parseAsync(argv.includes('--json') ? ['--json', ...argv.filter((a) => a !== '--json')] : argv, { from: 'user' });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  process.exit(EXIT.ok);
} catch (err) {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  if (err instanceof CommanderError) {
    // Help and version are successes; anything else commander refuses is a bad command line.
    process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage);
  }
  if (err instanceof CliError) {
    process.stderr.write(`aos: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`aos: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT.failed);
}
