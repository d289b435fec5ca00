import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../kernel/config';
import type { Logger } from '../logger';
import { KernelError } from '../../kernel/errors';
import { type CodecKeys, parseCodecKeys } from './codec';

/** The file the embedded stack keeps its generated codec key in (read by workers sharing DATA_DIR). */
export function codecKeyFile(config: Pick<Config, 'DATA_DIR'>): string {
  return join(config.DATA_DIR, 'codec.keys');
}

/**
 * The payload encryption keys: AOS_CODEC_KEYS, else the DATA_DIR key file; `create` (the embedded
 * `bun run dev`) makes that file with a fresh key when neither exists. Without keys the start is
 * refused, unless AOS_PLAINTEXT_PAYLOADS opts out (then the log says payloads are not encrypted).
 */
export function resolveCodecKeys(config: Pick<Config, 'AOS_CODEC_KEYS' | 'AOS_PLAINTEXT_PAYLOADS' | 'DATA_DIR'>, options: { create: boolean; logger: Logger }): CodecKeys | undefined {
  if (config.AOS_CODEC_KEYS) return parseCodecKeys(config.AOS_CODEC_KEYS);
  const file = codecKeyFile(config);
  if (existsSync(file)) return parseCodecKeys(readFileSync(file, 'utf8'));
  if (!options.create) {
    if (!config.AOS_PLAINTEXT_PAYLOADS) throw new KernelError('invalid_config', `no payload encryption key: set AOS_CODEC_KEYS (the same on the API and every worker), put one in ${file}, or set AOS_PLAINTEXT_PAYLOADS=true to run unencrypted`);
    options.logger.warn('payloads are NOT encrypted (AOS_PLAINTEXT_PAYLOADS=true)');
    return undefined;
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  const id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  writeFileSync(file, `${id}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  options.logger.info({ file }, 'created a payload encryption key (workers elsewhere need the same AOS_CODEC_KEYS)');
  return parseCodecKeys(readFileSync(file, 'utf8'));
}
