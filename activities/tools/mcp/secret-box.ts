import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KernelError } from '../../../kernel/errors';
import type { CodecKeys } from '../../../infra/temporal/codec';

/** An MCP server's secrets: the stdio process's env and the HTTP request headers. */
export interface McpSecrets {
  env: Record<string, string>;
  headers: Record<string, string>;
}

/** Seals and opens secrets kept in Postgres. */
export interface SecretBox {
  seal(secrets: McpSecrets): string;
  open(sealed: string): McpSecrets;
  /** One secret string (a webhook's signing secret). */
  sealText(text: string): string;
  openText(sealed: string): string;
}

/**
 * Secrets at rest under the kernel's codec keys (AES-256-GCM, the active key; any held key opens):
 * `aead:<keyId>:<base64 iv|ciphertext|tag>`. Without keys (AOS_PLAINTEXT_PAYLOADS) they are stored
 * as `plain:<json>` — the README says so.
 */
export function secretBox(keys: CodecKeys | undefined): SecretBox {
  const box: SecretBox = {
    sealText: (text) => box.seal({ env: { text }, headers: {} }),
    openText: (sealed) => box.open(sealed).env.text ?? '',
    seal(secrets) {
      const json = JSON.stringify(secrets);
      if (!keys) return `plain:${json}`;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys.keys.get(keys.activeKeyId)!, iv);
      const data = Buffer.concat([iv, cipher.update(json, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `aead:${keys.activeKeyId}:${data.toString('base64')}`;
    },
    open(sealed) {
      if (sealed.startsWith('plain:')) return JSON.parse(sealed.slice(6)) as McpSecrets;
      const [, keyId = '', b64 = ''] = sealed.split(':');
      const key = keys?.keys.get(keyId);
      if (!key) throw new KernelError('invalid_config', `an MCP server's secrets are sealed with key "${keyId}", which this process does not hold (AOS_CODEC_KEYS)`);
      const data = Buffer.from(b64, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return JSON.parse(Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]).toString('utf8')) as McpSecrets;
    },
  };
  return box;
}
