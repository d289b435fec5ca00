import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'aok';
const TOKEN = /^aok_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** The two parts of an API key: a public id and a secret (only its hash is stored). */
export interface KeyParts {
  id: string;
  secret: string;
}

/** A new random key: 12 characters of id, 256 bits of secret. */
export function newKeyParts(): KeyParts {
  return { id: randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12), secret: randomBytes(32).toString('base64url') };
}

/** The key as clients send it: `aok_<id>_<secret>`. */
export function formatKey(parts: KeyParts): string {
  return `${PREFIX}_${parts.id}_${parts.secret}`;
}

/** The parts of a key string, or null when it is not shaped like one. */
export function parseKey(token: string): KeyParts | null {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

/** SHA-256 of a secret, hex (a 256-bit random secret needs no slow hash). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
