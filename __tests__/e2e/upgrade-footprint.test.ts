// What an open tunnel keeps: every idle tunnel's heap counts (thousands of `kubectl exec` or
// WebSocket sessions stay open for hours), so once the 101 is through, the upgrade request, with
// its headers, must be free to go. Full garbage collections are forced through V8's `gc`, which
// this file exposes in its jest worker (`--expose-gc` through `v8.setFlagsFromString`).
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Duplex } from 'node:stream';
import { listen, startProxy, type Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const opened: { close(): Promise<void> }[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of opened.splice(0)) await server.close();
});

/** A backend that switches every upgrade to an echo of the bytes it gets. */
async function echoBackend(): Promise<Running> {
  const server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (_req, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
    );
    socket.pipe(socket);
  });
  const running = await listen(server);
  opened.push(running);
  return running;
}

/** Reads from `socket` until `text` has arrived. */
async function readUntil(socket: net.Socket, text: string): Promise<string> {
  let seen = '';
  while (!seen.includes(text)) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    seen += chunk.toString('latin1');
  }
  return seen;
}

async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve)); // WeakRefs hold their target until the job ends
    gc();
  }
}

describe('an open tunnel', () => {
  it('keeps neither the upgrade request nor its headers once the 101 is through', async () => {
    const backend = await echoBackend();
    const proxy = await startProxy({ location: `${backend.url}/`, useRequestLocation: true });
    opened.push(proxy);
    const requests: WeakRef<http.IncomingMessage>[] = [];
    // Before the proxy's listener, so it sees every upgrade; it holds the request only weakly.
    proxy.server.prependListener('upgrade', (req: http.IncomingMessage) =>
      requests.push(new WeakRef(req)),
    );

    const client = net.connect(proxy.port, '127.0.0.1');
    sockets.push(client);
    client.write(
      'GET /chat HTTP/1.1\r\nHost: proxy.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\nX-Big: ' +
        'x'.repeat(4096) +
        '\r\n\r\n',
    );
    expect(await readUntil(client, '\r\n\r\n')).toMatch(/^HTTP\/1\.1 101 /);
    client.write('ping');
    await readUntil(client, 'ping');
    expect(requests).toHaveLength(1);

    await collect();
    expect(requests[0]!.deref()).toBeUndefined();
    // The tunnel itself is still there.
    expect(proxy.proxy.tunnels).toBe(1);
    client.write('pong');
    expect(await readUntil(client, 'pong')).toContain('pong');
  });

  it('still closes on either side once its request is gone', async () => {
    const backend = await echoBackend();
    const proxy = await startProxy({ location: `${backend.url}/`, useRequestLocation: true });
    opened.push(proxy);
    const client = net.connect(proxy.port, '127.0.0.1');
    sockets.push(client);
    client.write(
      'GET / HTTP/1.1\r\nHost: proxy.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
    );
    await readUntil(client, '\r\n\r\n');
    await collect();
    client.end();
    await once(client, 'close');
    await waitFor(() => proxy.proxy.tunnels === 0, 'the tunnel to close');
  });
});
