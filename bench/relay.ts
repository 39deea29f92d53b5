import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP relay that can be cut like a dead network: while cut, bytes
 * in both directions are dropped and no close is passed on (a laptop lid
 * shut, Wi-Fi gone), and new connections fail. Restoring it drops the
 * connections that lived through the outage, as a real network would find
 * them dead, and lets new ones through.
 *
 * (Playwright's context.setOffline(true) does not model this for an open
 * WebSocket: in Chromium 156 the page's own frames stop, but the network
 * stack keeps answering the coordinator's pings.)
 */
export interface Relay {
  /** `url` with its port replaced by the relay's. */
  url(url: string): string;
  cut(): void;
  restore(): void;
  close(): void;
}

export async function startRelay(target: URL): Promise<Relay> {
  let cut = false;
  const pairs: [Socket, Socket][] = [];
  const server: Server = createServer((client) => {
    if (cut) return void client.destroy(); // no network: new connections fail
    const upstream = connect(Number(target.port), target.hostname);
    pairs.push([client, upstream]);
    const pipe = (from: Socket, to: Socket): void => {
      from.on('data', (d) => {
        if (!cut) to.write(d);
      });
      from.on('close', () => {
        if (!cut) to.destroy();
      });
      from.on('error', () => undefined);
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const dropAll = (): void => {
    for (const [a, b] of pairs.splice(0)) {
      a.destroy();
      b.destroy();
    }
  };
  return {
    url: (url) => {
      const u = new URL(url);
      u.port = String(port);
      return u.toString();
    },
    cut: () => {
      cut = true;
    },
    restore: () => {
      cut = false;
      dropAll();
    },
    close: () => {
      dropAll();
      server.close();
    },
  };
}
