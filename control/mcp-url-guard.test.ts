import { describe, expect, test } from 'bun:test';
import { isPrivateAddress, refusePrivateUrl } from './mcp-url-guard';

describe('MCP URLs a tenant admin may register', () => {
  test('loopback, private, link-local and mapped addresses are private; public ones are not', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) expect([a, isPrivateAddress(a)]).toEqual([a, true]);
    for (const a of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8']) expect([a, isPrivateAddress(a)]).toEqual([a, false]);
  });

  test('a URL naming or resolving to a private address is refused with a sentence', async () => {
    await expect(refusePrivateUrl('http://127.0.0.1:3001/mcp')).rejects.toThrow('only a root key may register one');
    await expect(refusePrivateUrl('http://[::1]/mcp')).rejects.toThrow('loopback, private or link-local');
    await expect(refusePrivateUrl('http://localhost/mcp')).rejects.toThrow('"localhost"');
    await expect(refusePrivateUrl('https://169.254.169.254/latest/meta-data')).rejects.toThrow('only a root key');
    await expect(refusePrivateUrl('https://8.8.8.8/mcp')).resolves.toBeUndefined();
  });
});
