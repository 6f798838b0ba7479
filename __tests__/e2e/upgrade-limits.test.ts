// What a hostile client or backend can make the upgrade path hold, measured on the proxy running
// in a child process (the built package, `node --max-old-space-size=64`): its descriptors, counted
// in /proc/<pid>/fd, once clients have left during the handshake; and its resident memory, read
// from /proc/<pid>/status, while a backend refuses an upgrade with a body that never ends to a
// client that does not read, or with a chunk-size line that never ends. Run `npm run build` first.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { ROOT, guard, killChild } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The child: one proxy wired with `server.on('upgrade', proxy.upgrade)` (`direct`), which also
 * takes upgrades that arrive as plain requests, and one behind Express with
 * `routeUpgrades(app)` (`routed`). It prints both ports as one JSON line.
 */
const CHILD = `
const http = require('node:http');
const express = require('express');
const { routeUpgrades, upgradeAware } = require('./dist/index.js');
const options = { location: process.env.TARGET, useRequestLocation: true };
const proxy = upgradeAware(options);
const direct = http.createServer(proxy);
direct.on('upgrade', proxy.upgrade);
const app = express();
app.use((req, res, next) => next());
app.use(upgradeAware(options));
const routed = http.createServer(app);
routed.on('upgrade', routeUpgrades(app));
const listening = [direct, routed].map((server) => new Promise((resolve) => server.listen(0, '127.0.0.1', resolve)));
Promise.all(listening).then(() => {
  console.log(JSON.stringify({ direct: direct.address().port, routed: routed.address().port }));
});
`;

interface ChildProxy {
  child: ChildProcess;
  ports: { direct: number; routed: number };
  /** Open descriptors. */
  fds(): number;
  /** Resident set size in bytes (0 once the child is gone). */
  rss(): number;
}

const children: ChildProcess[] = [];
const sockets = new Set<net.Socket>();
const servers: net.Server[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const child of children.splice(0)) {
    await killChild(child);
  }
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function startChild(target: string): Promise<ChildProxy> {
  const child = spawn(process.execPath, ['--max-old-space-size=64', '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, TARGET: target },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const line = new Promise<string>((resolve) =>
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (stdout.includes('\n')) resolve(stdout);
    }),
  );
  const ports = JSON.parse(
    await guard(line, () => `the child did not start: ${stderr}`),
  ) as ChildProxy['ports'];
  const pid = child.pid!;
  return {
    child,
    ports,
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    rss: () => {
      try {
        return (
          Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
        );
      } catch {
        return 0;
      }
    },
  };
}

/** A raw backend: `onRequest` gets each connection once a request head has arrived on it. */
async function startBackend(
  onRequest: (socket: net.Socket) => void,
): Promise<{ url: string; open: Set<net.Socket> }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => open.delete(socket));
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.removeListener('data', onData);
      onRequest(socket);
    };
    socket.on('data', onData);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, open };
}

async function connect(port: number, request: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.add(socket);
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(request);
  return socket;
}

const UPGRADE =
  'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n';
/** No Upgrade header: Node hands it to the request handler, and its parser keeps the socket. */
const PLAIN_UPGRADE = 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n\r\n';

describe.each([
  ["the 'upgrade' event", 'direct', UPGRADE],
  ['routeUpgrades(app)', 'routed', UPGRADE],
  ['a plain request', 'direct', PLAIN_UPGRADE],
] as const)('a client that leaves during the handshake, through %s', (_name, server, request) => {
  it('gets both of its connections closed: 200 of them leave no descriptor behind', async () => {
    let heads = 0;
    const backend = await startBackend(() => void heads++); // never answers
    const proxy = await startChild(backend.url);
    const port = proxy.ports[server];
    const warmUp = await connect(port, request); // lazily loaded code and the like are not leaks
    await waitFor(() => heads === 1, 'the warm-up handshake to reach the backend');
    warmUp.resetAndDestroy();
    await waitFor(() => backend.open.size === 0, 'the warm-up handshake to end');
    const baseline = proxy.fds();

    const clients = await Promise.all(Array.from({ length: 200 }, () => connect(port, request)));
    await waitFor(() => heads === 201, 'all 200 handshakes to reach the backend');
    expect(proxy.fds()).toBeGreaterThanOrEqual(baseline + 400);
    clients.forEach((client, i) => (i % 2 === 0 ? client.end() : client.resetAndDestroy()));
    // The backend never answers and responseHeaderTimeout is 60 s: only the clients' leaving can close these.
    await waitFor(() => backend.open.size === 0, 'the backend connections to close');
    await waitFor(
      () => proxy.fds() <= baseline,
      `the proxy's descriptors to return to ${baseline}`,
    );
    expect(proxy.child.exitCode).toBeNull();
  }, 60_000);
});

/** Samples `proxy.rss()` until `until` holds (hang-guarded); returns the largest sample. */
async function peakRss(proxy: ChildProxy, until: () => boolean, what: string): Promise<number> {
  let peak = 0;
  await waitFor(
    () => {
      peak = Math.max(peak, proxy.rss());
      return until() || proxy.child.exitCode !== null;
    },
    what,
    40_000,
  );
  return peak;
}

/** Writes `head`, then `filler` again and again with backpressure, until `limit` bytes or the close. */
function refuseEndlessly(
  head: string,
  filler: Buffer,
  limit: number,
  sent: { bytes: number; closed: boolean },
) {
  return (socket: net.Socket): void => {
    socket.once('close', () => (sent.closed = true));
    socket.write(head);
    const more = (): void => {
      while (sent.bytes < limit && !socket.destroyed) {
        sent.bytes += filler.length;
        if (!socket.write(filler)) return void socket.once('drain', more);
      }
    };
    more();
  };
}

describe('a failed upgrade whose answer never ends', () => {
  const LIMIT = 256 * 1024 * 1024;
  const filler = Buffer.alloc(64 * 1024, 'f');

  it.each([
    {
      what: 'is read from the backend only as fast as the client takes it, and cut off after 1 MiB',
      head: 'HTTP/1.1 400 Bad Request\r\nContent-Length: 10737418240\r\n\r\n',
      reads: false,
    },
    {
      what: 'is closed at a chunk-size line over 4 KiB, memory bounded',
      head: 'HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n1',
      reads: true,
    },
  ])(
    '$what',
    async ({ head, reads }) => {
      const sent = { bytes: 0, closed: false };
      const backend = await startBackend(refuseEndlessly(head, filler, LIMIT, sent));
      const proxy = await startChild(backend.url);
      const baseline = proxy.rss();
      const client = await connect(proxy.ports.direct, UPGRADE);
      if (reads) client.resume();
      else client.pause(); // never reads
      const peak = await peakRss(
        proxy,
        () => sent.closed || sent.bytes >= LIMIT,
        'the backend to be closed or done',
      );
      expect({
        alive: proxy.child.exitCode === null,
        closed: sent.closed,
        sentUnder32MiB: sent.bytes < 32 * 1024 * 1024,
      }).toEqual({ alive: true, closed: true, sentUnder32MiB: true });
      expect(peak - baseline).toBeLessThan(32 * 1024 * 1024);
    },
    60_000,
  );
});
