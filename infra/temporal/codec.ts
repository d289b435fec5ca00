import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import type { DataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { KernelError } from '../../kernel/errors';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'encryption-cipher';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/** A set of AES-256 keys: the active one encrypts, every one decrypts (rotation keeps old histories readable). */
export interface CodecKeys {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * Parses `AOS_CODEC_KEYS`: comma-separated `id:base64key` pairs of 32-byte keys, the first one active
 * (prepend a new key to rotate; keep the old ones for as long as histories written with them live).
 */
export function parseCodecKeys(raw: string): CodecKeys {
  const keys = new Map<string, Buffer>();
  let activeKeyId: string | undefined;
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf(':');
    const id = part.slice(0, at);
    const key = Buffer.from(part.slice(at + 1), 'base64');
    if (at <= 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new KernelError('invalid_config', 'AOS_CODEC_KEYS: each key is `<id>:<base64 of 32 bytes>` with an id of letters, digits, ".", "_" or "-"');
    if (key.length !== 32) throw new KernelError('invalid_config', `AOS_CODEC_KEYS: key "${id}" is ${key.length} bytes; AES-256 needs 32 (openssl rand -base64 32)`);
    if (keys.has(id)) throw new KernelError('invalid_config', `AOS_CODEC_KEYS: key id "${id}" appears twice`);
    keys.set(id, key);
    activeKeyId ??= id;
  }
  if (!activeKeyId) throw new KernelError('invalid_config', 'AOS_CODEC_KEYS holds no key');
  return { activeKeyId, keys };
}

/**
 * AES-256-GCM payload codec: each payload (its metadata included) is serialised, encrypted with a
 * fresh 96-bit IV and wrapped in a `binary/encrypted` payload naming the key id; decoding picks the
 * key by that id, so payloads written before a rotation still decode. Payloads that are not
 * encrypted pass through (histories written before encryption was turned on).
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.keys.get(this.keys.activeKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: utf8(ENCODING), [KEY_ID]: utf8(this.keys.activeKeyId), [CIPHER]: utf8('AES-256-GCM') }, data: new Uint8Array(data) };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID]) ?? '';
      const key = this.keys.keys.get(keyId);
      if (!key) throw new ValueError(`payload encrypted with key "${keyId}", which this process does not hold (AOS_CODEC_KEYS)`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** The path of the failure converter module (workflow bundle, workers and clients all load it). */
export const FAILURE_CONVERTER_PATH = new URL('./failure-converter.ts', import.meta.url).pathname;

/** The data converter every client and worker uses: failures encoded, and payloads encrypted when keys are set. */
export function kernelDataConverter(keys: CodecKeys | undefined): DataConverter {
  return { failureConverterPath: FAILURE_CONVERTER_PATH, payloadCodecs: keys ? [new AesGcmCodec(keys)] : [] };
}
