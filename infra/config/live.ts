import { unwatchFile, watchFile } from 'node:fs';
import type { Db } from '../../db/client';
import { CONFIG_CHANNEL, latestConfigVersion, publishConfigVersion } from '../../db/config-versions';
import type { PubSub } from '../../db/notify';
import { CONFIG_KEYS, LIVE_KEYS, resolveConfig, type Config, type ConfigKey, type ConfigSource } from '../../kernel/config';
import { rootMessage } from '../../kernel/errors';
import type { Logger } from '../logger';
import { readConfigFile, type ConfigFile } from './file';

/** How often the file is looked at (a poll: it works on every filesystem and through editors' renames). */
const WATCH_INTERVAL_MS = 500;

/** What this process knows of its live config: the version applied, the file, and the last problem. */
export interface LiveConfigStatus {
  /** The cluster's config version this process applied (null: none stored yet). */
  version: number | null;
  appliedAt: string | null;
  file: string | null;
  profile: string;
  /** Why the last read of the file was refused (the last good config stays); null when it was accepted. */
  lastError: string | null;
  /** Settings changed in the file that only a restart applies. */
  restartRequired: string[];
}

/** The live config of one process: its status, where each setting came from now, and how to stop watching. */
export interface LiveConfig {
  status(): LiveConfigStatus;
  sources(): Record<ConfigKey, ConfigSource>;
  stop(): Promise<void>;
}

/**
 * Keeps the settings that change without a restart (LIVE_KEYS) the same on every process: a change
 * to the config file, read by any process, is validated whole and stored as a new version in Postgres
 * (audited with its diff) and announced with NOTIFY; every process applies the newest version to its
 * `config` (mutated in place) and calls `apply`. The environment still wins; an invalid file is
 * refused and the last good config stays (the status says why).
 */
export async function startLiveConfig(o: { db: Db; pubsub: PubSub; config: Config; env: Readonly<Record<string, string | undefined>>; file: ConfigFile; sources: Record<ConfigKey, ConfigSource>; nodeId: string; logger: Logger; apply: (changed: ConfigKey[]) => void }): Promise<LiveConfig> {
  const state: LiveConfigStatus = { version: null, appliedAt: null, file: o.file.path, profile: o.file.profile, lastError: null, restartRequired: [] };
  const sources = { ...o.sources };
  const fromEnv = new Set(CONFIG_KEYS.filter((k) => o.sources[k] === 'env'));
  const startup = { ...o.file.base, ...o.file.profileValues };

  /** Reads the file; a valid change of live settings becomes a new version. */
  const publish = async () => {
    if (!o.file.path) return;
    try {
      const file = await readConfigFile({ ...o.env, AOK_CONFIG_FILE: o.file.path });
      resolveConfig({ base: file.base, profile: file.profileValues }, o.env);
      const merged = { ...file.base, ...file.profileValues };
      state.lastError = null;
      state.restartRequired = CONFIG_KEYS.filter((k) => !LIVE_KEYS.includes(k) && merged[k] !== startup[k]);
      if (state.restartRequired.length) o.logger.warn({ keys: state.restartRequired }, 'the config file changed settings that need a restart to apply');
      const live = Object.fromEntries(LIVE_KEYS.filter((k) => merged[k] !== undefined).map((k) => [k, merged[k]!]));
      const version = await publishConfigVersion(o.db, live, o.file.path, o.nodeId);
      if (version !== undefined) {
        o.logger.info({ version }, 'config file changed: a new live config version is stored');
        await o.pubsub.notify(CONFIG_CHANNEL, String(version));
      }
    } catch (err) {
      state.lastError = rootMessage(err);
      o.logger.warn({ err: state.lastError, file: o.file.path }, 'the config file was refused; the last good config stays');
    }
  };

  /** Applies the newest version's live settings (not those the environment sets). */
  const applyLatest = async () => {
    try {
      const latest = await latestConfigVersion(o.db);
      if (!latest || latest.version === state.version) return;
      const strings = { ...o.file.base, ...o.file.profileValues, ...Object.fromEntries(LIVE_KEYS.filter((k) => !fromEnv.has(k)).map((k) => [k, latest.values[k]])) };
      const next = resolveConfig({ base: Object.fromEntries(Object.entries(strings).filter(([, v]) => v !== undefined)) as Record<string, string>, profile: {} }, o.env).config;
      const changed = LIVE_KEYS.filter((k) => !fromEnv.has(k) && JSON.stringify(next[k]) !== JSON.stringify(o.config[k]));
      for (const k of LIVE_KEYS) {
        if (fromEnv.has(k)) continue;
        (o.config as Record<string, unknown>)[k] = next[k];
        sources[k] = latest.values[k] !== undefined ? 'cluster' : 'default';
      }
      state.version = latest.version;
      state.appliedAt = new Date().toISOString();
      if (changed.length) {
        o.apply(changed);
        o.logger.info({ version: latest.version, keys: changed }, 'live config applied');
      }
    } catch (err) {
      o.logger.warn({ err: rootMessage(err) }, 'the newest live config could not be applied; the current one stays');
    }
  };

  const unlisten = await o.pubsub.listen(CONFIG_CHANNEL, () => void applyLatest());
  await publish();
  await applyLatest();
  if (o.file.path) watchFile(o.file.path, { interval: WATCH_INTERVAL_MS }, () => void publish());
  // A missed NOTIFY (a reconnect) is caught up by a slow poll of the newest version.
  const poll = setInterval(() => void applyLatest(), 30_000);
  return {
    status: () => ({ ...state, restartRequired: [...state.restartRequired] }),
    sources: () => ({ ...sources }),
    stop: async () => {
      clearInterval(poll);
      if (o.file.path) unwatchFile(o.file.path);
      await unlisten();
    },
  };
}
