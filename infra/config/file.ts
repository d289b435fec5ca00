import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig as loadC12 } from 'c12';
import { resolveConfig, toEnvStrings, type Config, type ConfigKey, type ConfigSource } from '../../kernel/config';
import { KernelError } from '../../kernel/errors';

/** A config file as read: where, its base values and the chosen profile's (as the schema reads them). */
export interface ConfigFile {
  path: string | null;
  profile: string;
  base: Record<string, string>;
  profileValues: Record<string, string>;
}

/** The profiles a file may hold (`[profiles.prod]`); `AOK_PROFILE` picks one (default dev). */
export const PROFILES = ['dev', 'test', 'prod'] as const;

/**
 * Reads the config file (`AOK_CONFIG_FILE`, else `aok.config.{toml,yaml,yml,json,ts}` in `cwd`) through
 * c12: TOML, YAML, JSON or TypeScript. Keys are the environment variables' names; `profiles.<name>`
 * holds a profile's overrides. No file: empty values. A file that cannot be read or names an unknown
 * setting is an `invalid_config` error that says where.
 */
export async function readConfigFile(env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): Promise<ConfigFile> {
  const profile = env.AOK_PROFILE || 'dev';
  if (!(PROFILES as readonly string[]).includes(profile)) throw new KernelError('invalid_config', `AOK_PROFILE must be one of ${PROFILES.join(', ')}, got "${profile}"`);
  const named = env.AOK_CONFIG_FILE ? resolve(cwd, env.AOK_CONFIG_FILE) : undefined;
  if (named && !existsSync(named)) throw new KernelError('invalid_config', `AOK_CONFIG_FILE names ${named}, which does not exist`);
  let loaded: Awaited<ReturnType<typeof loadC12>>;
  try {
    loaded = await loadC12({ cwd, configFile: named ?? 'aok.config', rcFile: false, globalRc: false, dotenv: false, packageJson: false, envName: false, omit$Keys: true });
  } catch (err) {
    throw new KernelError('invalid_config', `the config file ${named ?? 'aok.config.*'} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const path = loaded.configFile && existsSync(loaded.configFile) ? loaded.configFile : null;
  if (!path) return { path: null, profile, base: {}, profileValues: {} };
  const { profiles, ...base } = (loaded.config ?? {}) as Record<string, unknown> & { profiles?: Record<string, Record<string, unknown>> };
  const unknownProfiles = Object.keys(profiles ?? {}).filter((p) => !(PROFILES as readonly string[]).includes(p));
  if (unknownProfiles.length) throw new KernelError('invalid_config', `${path}: unknown profile ${unknownProfiles.join(', ')} (profiles: ${PROFILES.join(', ')})`);
  return { path, profile, base: toEnvStrings(base, path), profileValues: toEnvStrings(profiles?.[profile] ?? {}, `${path} [profiles.${profile}]`) };
}

/** The process's configuration: defaults, the config file and its profile, then the environment — and where each value came from. */
export async function loadKernelConfig(env: Readonly<Record<string, string | undefined>> = process.env): Promise<{ config: Config; sources: Record<ConfigKey, ConfigSource>; file: ConfigFile }> {
  const file = await readConfigFile(env);
  const { config, sources } = resolveConfig({ base: file.base, profile: file.profileValues }, env);
  return { config, sources, file };
}
