import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { KernelError } from '../kernel/errors';

/** IPv4 ranges an MCP URL of a tenant admin may not reach: loopback, private, link-local (cloud metadata), carrier NAT, "this" network. */
const PRIVATE_V4: ReadonlyArray<[number, number]> = [
  [0x0a000000, 8], [0xac100000, 12], [0xc0a80000, 16], [0x7f000000, 8], [0xa9fe0000, 16], [0x64400000, 10], [0x00000000, 8],
];

function v4(address: string): number {
  return address.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

/** Whether an address is loopback, private, link-local or unspecified (IPv4, IPv6 and IPv4-mapped IPv6). */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) return PRIVATE_V4.some(([base, bits]) => (v4(address) & (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0)) >>> 0 === base);
  const a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return isPrivateAddress(mapped[1]!);
  return a === '::' || a === '::1' || /^f[cd]/.test(a) || /^fe[89ab]/.test(a);
}

/**
 * Refuses an MCP server URL whose host is, or resolves to, a loopback, private or link-local
 * address: only a root key may point the kernel at its own network. (Checked when registered; a
 * name that later resolves elsewhere is not re-checked — pin servers by address where that matters.)
 */
export async function refusePrivateUrl(url: string): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw new KernelError('invalid_input', `the MCP server's host "${host}" does not resolve`);
  }
  if (addresses.some(isPrivateAddress)) throw new KernelError('forbidden', `the MCP server's host "${host}" is a loopback, private or link-local address: only a root key may register one`);
}
