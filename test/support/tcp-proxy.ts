import type { Socket, TCPSocketListener } from 'bun';

/** A TCP proxy a test can cut (every connection dropped, new ones refused) and restore: a database that goes away and comes back. */
export interface TcpProxy {
  port: number;
  /** Drops every connection and stops listening (clients get refused). */
  cut(): void;
  /** Listens again on the same port. */
  restore(): void;
  stop(): void;
}

type Pair = { client: Socket<Pair>; upstream?: Socket<{ client: Socket<Pair> }>; pending: Uint8Array[] };

/** Starts a proxy from a free local port to `target`. */
export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const open = new Set<Pair>();
  let listener: TCPSocketListener<Pair> | undefined;
  const listen = (port: number) =>
    Bun.listen<Pair>({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(client) {
          const pair: Pair = { client, pending: [] };
          client.data = pair;
          open.add(pair);
          void Bun.connect<{ client: Socket<Pair> }>({
            hostname: target.hostname,
            port: target.port,
            data: { client },
            socket: {
              open(upstream) {
                pair.upstream = upstream;
                for (const chunk of pair.pending.splice(0)) upstream.write(chunk);
              },
              data(_upstream, chunk) {
                client.write(chunk);
              },
              close() {
                client.end();
              },
              error() {
                client.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          const pair = client.data;
          if (pair.upstream) pair.upstream.write(chunk);
          else pair.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          client.data.upstream?.end();
          open.delete(client.data);
        },
      },
    });
  listener = listen(0);
  const port = listener.port;
  const dropAll = () => {
    for (const pair of open) {
      pair.upstream?.terminate();
      pair.client.terminate();
    }
    open.clear();
  };
  return {
    port,
    cut() {
      listener?.stop(true);
      listener = undefined;
      dropAll();
    },
    restore() {
      listener ??= listen(port);
    },
    stop() {
      listener?.stop(true);
      listener = undefined;
      dropAll();
    },
  };
}
