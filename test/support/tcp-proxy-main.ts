/**
 * `bun test/support/tcp-proxy-main.ts <host> <port>`: a TCP proxy in its own process, as a database's
 * network is outside the kernel's: prints `PORT <n>`, then obeys `cut` and `restore` lines on stdin.
 */
import { startTcpProxy } from './tcp-proxy';

const [host = '127.0.0.1', port = '5432'] = process.argv.slice(2);
const proxy = await startTcpProxy({ hostname: host, port: Number(port) });
console.log(`PORT ${proxy.port}`);
for await (const line of console) {
  const command = line.trim();
  if (command === 'cut') proxy.cut();
  else if (command === 'restore') await proxy.restore();
  console.log(`OK ${command}`);
}
proxy.stop();
