/** Prints a fresh API key string (for AOS_BOOTSTRAP_KEY in scripts and CI); it is stored nowhere. */
import { formatKey, newKeyParts } from '../kernel/auth/api-key-token';

console.log(formatKey(newKeyParts()));
