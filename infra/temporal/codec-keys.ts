import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../kernel/config';
import type { Logger } from '../logger';
import { type CodecKeys, parseCodecKeys } from './codec';

/** The file the embedded stack keeps its generated codec key in (read by workers sharing DATA_DIR). */
export function codecKeyFile(config: Pick<Config, 'DATA_DIR'>): string {
  return join(config.DATA_DIR, 'codec.keys');
}

/**
 * The payload encryption keys: AOS_CODEC_KEYS, else the DATA_DIR key file; `create` (the embedded
 * `bun run dev`) makes that file with a fresh key when neither exists. Without keys, payloads are not
 * encrypted, and the log says so once.
 */
export function resolveCodecKeys(config: Pick<Config, 'AOS_CODEC_KEYS' | 'DATA_DIR'>, options: { create: boolean; logger: Logger }): CodecKeys | undefined {
  if (config.AOS_CODEC_KEYS) return parseCodecKeys(config.AOS_CODEC_KEYS);
  const file = codecKeyFile(config);
  if (existsSync(file)) return parseCodecKeys(readFileSync(file, 'utf8'));
  if (!options.create) {
    options.logger.warn('payloads are NOT encrypted: set AOS_CODEC_KEYS (see the README) on the API and every worker');
    return undefined;
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  const id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  writeFileSync(file, `${id}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  options.logger.info({ file }, 'created a payload encryption key (workers elsewhere need the same AOS_CODEC_KEYS)');
  return parseCodecKeys(readFileSync(file, 'utf8'));
}
