// What a client must not get past the upgrade path, over raw sockets and a keep-alive backend that
// reads pipelined requests as a real server would: bytes sent behind an upgrade request reach the
// backend only after its 101 (a refusing backend would otherwise run them as further requests,
// with the proxy's identity: CVE-2018-1002105), through every entry point (the proxy's 'upgrade'
// listener, routeUpgrades behind Express middleware, the built command); and an upgrade that
// arrives as a plain request waits for the earlier response on its connection before answering.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import express from 'express';
import { routeUpgrades, upgradeAware } from '../../lib/index.js';
import { startCliProcess } from '../cli/spawn.js';
import { listen, startProxy, type Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const opened: { close(): Promise<void> }[] = [];
const sockets = new Set<net.Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const server of opened.splice(0).reverse()) await server.close();
});

// --- a keep-alive backend that reads pipelined requests ---------------------------------------

interface PipelinedBackend {
  url: string;
  /** The request line of every request it read, in order, over all connections. */
  lines: string[];
  /** What arrived on a connection after the backend switched it with a 101. */
  tunnel(): string;
  /** Connections accepted, and how many of them are closed. */
  accepted: number;
  closed: number;
  /** Lets the answer to the first request go (it waits until then). */
  release(): void;
  close(): Promise<void>;
}

/**
 * A node:net backend that parses requests (head, then a Content-Length body) one after another
 * on each connection, records each request line as it reads it, and answers them in order:
 * 200 to plain requests, and to an upgrade 403 with keep-alive (`switch` false) or 101, after
 * which every byte is tunnel data. The first answer waits for `release()`.
 */
async function startPipelinedBackend(options: { switch: boolean }): Promise<PipelinedBackend> {
  const lines: string[] = [];
  const tunnelled: Buffer[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    backend.accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      backend.closed++;
      sockets.delete(socket);
    });
    let pending = Buffer.alloc(0);
    let switched = false;
    let answers = released;
    const answer = (text: string): void => {
      answers = answers.then(() => void (socket.writable && socket.write(text)));
    };
    socket.on('data', (chunk: Buffer) => {
      if (switched) return void tunnelled.push(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (
        let end = pending.indexOf('\r\n\r\n');
        end !== -1 && !switched;
        end = pending.indexOf('\r\n\r\n')
      ) {
        const head = pending.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        pending = pending.subarray(end + 4 + length);
        lines.push(head.slice(0, head.indexOf('\r\n')));
        if (!/\r\nupgrade:/i.test(head))
          answer('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\ndone');
        else if (!options.switch)
          answer(
            'HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nnot so',
          );
        else {
          switched = true;
          answer(
            'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n',
          );
          if (pending.length > 0) tunnelled.push(pending);
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const backend: PipelinedBackend = {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    lines,
    tunnel: () => Buffer.concat(tunnelled).toString('latin1'),
    accepted: 0,
    closed: 0,
    release,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  opened.push(backend);
  return backend;
}

// --- the client -------------------------------------------------------------------------------

interface Client {
  socket: net.Socket;
  text(): string;
  closed: Promise<void>;
}

async function connectTo(port: number): Promise<Client> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.add(socket);
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  return { socket, text: () => Buffer.concat(chunks).toString('latin1'), closed };
}

function upgradeRequest(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: test\r\nAuthorization: Bearer ok\r\n\r\n`;
}

const smuggled = (id: number): string =>
  `DELETE /admin/users/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`;

// --- the entry points -------------------------------------------------------------------------

/** A proxy in front of `backendUrl`, and the path of an upgrade it lets through. */
type EntryPoint = (backendUrl: string) => Promise<{ port: number; path: string }>;

const viaListener: EntryPoint = async (backendUrl) => {
  const proxy = await startProxy({ location: `${backendUrl}/`, useRequestLocation: true });
  opened.push(proxy);
  return { port: proxy.port, path: '/allowed' };
};

const viaRouteUpgrades: EntryPoint = async (backendUrl) => {
  const proxy = upgradeAware({ location: `${backendUrl}/`, useRequestLocation: true });
  const app = express();
  app.use((req, res, next) =>
    req.headers.authorization === 'Bearer ok' ? next() : res.status(401).end(),
  );
  app.use('/proxy', proxy);
  const server = http.createServer(app);
  server.on('upgrade', routeUpgrades(app));
  const running = await listen(server);
  opened.push({ close: async () => (await proxy.close(), await running.close()) });
  return { port: running.port, path: '/proxy/allowed' };
};

const viaCommand: EntryPoint = async (backendUrl) => {
  const cli = await startCliProcess([
    '--target',
    backendUrl,
    '--port',
    '0',
    '--reject-methods=POST,PUT,PATCH,DELETE',
  ]);
  return { port: cli.port, path: '/allowed' };
};

describe.each([
  ["the proxy's 'upgrade' listener", viaListener],
  ['routeUpgrades(app) behind an Express auth middleware', viaRouteUpgrades],
  ['the command, with --reject-methods=POST,PUT,PATCH,DELETE', viaCommand],
])('bytes behind an upgrade request, through %s', (_name, entry: EntryPoint) => {
  it('never reach a backend that refuses the upgrade: its answer is relayed, both connections closed', async () => {
    const backend = await startPipelinedBackend({ switch: false });
    const { port, path } = await entry(backend.url);
    const client = await connectTo(port);
    client.socket.write(upgradeRequest(path) + smuggled(42)); // one write: Node hands the DELETE over as `head`
    await waitFor(() => backend.lines.length > 0, 'the backend to read the upgrade request');
    client.socket.write(smuggled(43)); // while the backend has not answered yet
    backend.release();
    await client.closed;
    await waitFor(() => backend.closed === backend.accepted, 'the backend connection to close');
    expect(backend.lines).toEqual([
      `GET ${path === '/proxy/allowed' ? '/allowed' : path} HTTP/1.1`,
    ]);
    expect(client.text()).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[^]*\r\n\r\nnot so$/);
  });

  it('reach a backend that switches after its 101, first and intact, before what the client sends later', async () => {
    const backend = await startPipelinedBackend({ switch: true });
    const { port, path } = await entry(backend.url);
    const client = await connectTo(port);
    client.socket.write(upgradeRequest(path) + smuggled(42));
    await waitFor(() => backend.lines.length > 0, 'the backend to read the upgrade request');
    client.socket.write('early;');
    backend.release();
    await waitFor(() => client.text().includes('\r\n\r\n'), 'the 101');
    expect(client.text()).toMatch(/^HTTP\/1\.1 101 /);
    client.socket.write('later;');
    const expected = smuggled(42) + 'early;later;';
    await waitFor(() => backend.tunnel().length >= expected.length, 'the tunnel bytes');
    expect(backend.tunnel()).toBe(expected);
    expect(backend.lines).toHaveLength(1);
  });
});

// --- an upgrade that arrives as a plain request, pipelined behind a streaming response ---------

describe('upgradeAware with an upgrade that arrives as a plain request on a busy connection', () => {
  it('waits for the earlier response to finish before it answers', async () => {
    const order: string[] = [];
    let finishSlow!: () => void;
    const slowFinished = new Promise<void>((resolve) => (finishSlow = resolve));
    const backend: Running = await listen(
      http.createServer((req, res) => {
        order.push(req.url!);
        if (req.url === '/slow') {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('first part;');
          // Ended by the test once the first part has reached the client, and later than that
          // whenever the upgrade's answer would have been written in the middle of it.
          void slowFinished.then(() => {
            order.push('/slow done');
            res.end('second part');
          });
        } else {
          res.writeHead(400, { 'Content-Length': 7, 'Content-Type': 'text/plain' }).end('refused');
        }
      }),
    );
    opened.push(backend);
    const proxy = await startProxy({ location: `${backend.url}/`, useRequestLocation: true });
    opened.push(proxy);
    const client = await connectTo(proxy.port);
    client.socket.write(
      'GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' +
        'GET /up HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n\r\n',
    );
    await waitFor(
      () => client.text().includes('first part;'),
      'the first part of the slow response',
    );
    // Before the fix the upgrade is asked at once and its answer lands here, inside the stream.
    await waitFor(
      () => order.includes('/up') || client.text().includes('400'),
      'the upgrade to be asked',
      500,
    ).catch(() => undefined);
    finishSlow();
    await client.closed;
    const text = client.text();
    const whole = /^HTTP\/1\.1 200 OK\r\n[^]*?\r\n\r\n([^]*?0\r\n\r\n)/;
    expect(text).toMatch(whole); // the streaming response first, whole
    const first = whole.exec(text);
    expect(first![1]!.replace(/[0-9a-f]+\r\n([^]*?)\r\n/g, '$1')).toBe('first part;second part');
    expect(text.slice(first![0].length)).toMatch(
      /^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\nrefused$/,
    );
    expect(order).toEqual(['/slow', '/slow done', '/up']);
  });
});
