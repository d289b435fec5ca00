import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A TCP proxy a test can cut (every connection dropped, new ones refused) and restore: a database that goes away and comes back. */
export interface TcpProxy {
  port: number;
  /** Drops every connection and stops listening (clients get refused). */
  cut(): void;
  /** Listens again on the same port (resolves once it does). */
  restore(): Promise<void>;
  stop(): void;
}

/**
 * Starts a proxy from a free local port to `target` (node:net, piped both ways: backpressure and
 * half-closes handled by the streams).
 */
export async function startTcpProxy(target: { hostname: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = (): Server =>
    createServer((client) => {
      const upstream = createConnection({ host: target.hostname, port: target.port });
      track(client);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  const listen = (s: Server, port: number) => new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
  });
  let listener: Server | undefined = server();
  const port = await listen(listener, 0);
  const dropAll = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  return {
    port,
    cut() {
      listener?.close();
      listener = undefined;
      dropAll();
    },
    async restore() {
      if (listener) return;
      listener = server();
      await listen(listener, port);
    },
    stop() {
      listener?.close();
      listener = undefined;
      dropAll();
    },
  };
}

/**
 * The same proxy in a child process (test/support/tcp-proxy-main.ts): the kernel under test shares no
 * event loop with it (in-process, its accepted sockets stalled some of the kernel's connects after a
 * restore). `cut` and `restore` resolve once the child has acted.
 */
export async function startTcpProxyProcess(target: { hostname: string; port: number }): Promise<Omit<TcpProxy, 'cut'> & { cut(): Promise<void> }> {
  const child = Bun.spawn([process.execPath, fileURLToPath(new URL('./tcp-proxy-main.ts', import.meta.url)), target.hostname, String(target.port)], { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' });
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const at = buffered.indexOf('\n');
      if (at >= 0) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        return line;
      }
      const { value, done } = await lines.read();
      if (done) throw new Error('the proxy process ended');
      buffered += value;
    }
  };
  const port = Number(/^PORT (\d+)$/.exec(await nextLine())?.[1]);
  if (!port) throw new Error('the proxy process did not say its port');
  const command = async (what: 'cut' | 'restore') => {
    child.stdin.write(`${what}\n`);
    await child.stdin.flush();
    while ((await nextLine()) !== `OK ${what}`);
  };
  return {
    port,
    cut: () => command('cut'),
    restore: () => command('restore'),
    stop: () => {
      child.kill();
    },
  };
}
