import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from './errors';

/** Where `aos` talks to, and as whom. */
export interface Settings {
  url: string;
  key: string | undefined;
}

const fileSchema = z.object({ url: z.url().optional(), key: z.string().min(1).optional() }).strict();

/** The config file: `$AOS_CONFIG`, else `$XDG_CONFIG_HOME/aos/config.json` (`~/.config/aos/config.json`). */
export function configPath(env: Record<string, string | undefined> = process.env): string {
  return env.AOS_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'aos', 'config.json');
}

/** The API URL and key: flags, then `AOS_URL`/`AOS_KEY`, then the config file, then `http://127.0.0.1:3000` and no key. */
export function resolveSettings(flags: { url?: string; key?: string }, env: Record<string, string | undefined> = process.env): Settings {
  const path = configPath(env);
  let file: z.infer<typeof fileSchema> = {};
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      throw new CliError(`the config file ${path} is not JSON`, EXIT.usage);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) throw new CliError(`the config file ${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`, EXIT.usage);
    file = parsed.data;
  }
  const url = flags.url ?? (env.AOS_URL || undefined) ?? file.url ?? 'http://127.0.0.1:3000';
  if (!URL.canParse(url)) throw new CliError(`the API URL "${url}" is not a URL`, EXIT.usage);
  return { url: url.replace(/\/+$/, ''), key: flags.key ?? (env.AOS_KEY || undefined) ?? file.key };
}
