// A hostile backend, or a client that a lenient server parser lets through, must neither crash the
// proxy nor make it grow without bound. The proxy runs in
// a child process (the built library, `dist/`: `npm test` builds it; run `npm run build` first when
// running this file alone) with a small heap (--max-old-space-size), so an uncaught exception or
// an out-of-memory crash ends the child and fails the test, instead of taking Jest down with it.
// Both transports: an http.Agent as `transport` (as the CLI does) and the default undici Agent.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, guard, spawnNode, untilStdout } from '../helpers/child.js';
import type { ChildRun } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

/** The child's heap limit: a proxy that buffers without bound runs out of it within seconds. */
const HEAP_MB = 64;
/** What the child's resident memory must stay under, whatever the backend does. */
const RSS_LIMIT = 160 * 1024 * 1024;

// Serves the proxy on 127.0.0.1 port 0, prints the port; `/__rss` answers the child's RSS instead.
// With 'lenient', the server parses with `insecureHTTPParser`, as some deployments must.
const SCRIPT = `
const http = require('node:http');
const { upgradeAware } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
const [location, kind, parser] = process.argv.slice(2);
const options = { location };
if (kind === 'node') options.transport = new http.Agent({ keepAlive: true });
const proxy = upgradeAware(options);
const server = http.createServer({ insecureHTTPParser: parser === 'lenient' }, (req, res) => {
  if (req.url === '/__rss') res.end(String(process.memoryUsage().rss));
  else proxy(req, res);
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

let dir: string;
let script: string;
const children: ChildRun[] = [];
const servers: net.Server[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'backend-hostile-'));
  script = path.join(dir, 'proxy.cjs');
  writeFileSync(script, SCRIPT);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(children.splice(0).map((run) => run.kill()));
  for (const server of servers.splice(0)) server.close();
});

/** A backend that writes raw bytes; `answer` gets each connection once its request head is in. */
async function rawBackend(answer: (socket: net.Socket) => void): Promise<string> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => answer(socket));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // Connections must not keep close() waiting.
  server.on('connection', (socket) => server.once('close', () => socket.destroy()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Starts the proxy in front of `location` in a child process with a small heap; resolves with its port. */
async function startChild(
  location: string,
  kind: string,
  parser = 'strict',
): Promise<{ run: ChildRun; port: number }> {
  const run = spawnNode(script, [location, kind, parser], {
    ...process.env,
    NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
  });
  children.push(run);
  const stdout = await untilStdout(run, (text) => /port \d+\n/.test(text), {
    exited: (exit) => `the proxy exited before serving: ${exit.stderr}`,
    hung: () => 'the proxy did not start',
  });
  return { run, port: Number(/port (\d+)/.exec(stdout)![1]) };
}

function alive(run: ChildRun): boolean {
  return run.child.exitCode === null && run.child.signalCode === null;
}

/** The child's resident memory, in bytes. */
function rssOf(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}/__rss`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(Number(body)));
      })
      .on('error', reject);
  });
}

/** How a GET through the proxy ended: its status, trailers and body, or cut off. */
interface Outcome {
  status?: number;
  complete: boolean;
  trailers: NodeJS.Dict<string>;
  body: string;
}

describe.each(['node', 'undici'])(
  'upgradeAware (%s transport) with response trailers Node refuses',
  (kind) => {
    it('keeps the process alive and relays the valid trailers', async () => {
      let second: (() => void) | undefined;
      const location = await rawBackend((socket) => {
        socket.write(
          'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Ok\r\n\r\n5\r\nhello\r\n',
        );
        // The rest only once the client has the first chunk: the body is streaming, not relayed whole.
        second = () => socket.end('0\r\nX-T : spaced\r\n: empty\r\nX-Ok: yes\r\n\r\n');
      });
      const { run, port } = await startChild(location, kind);
      const outcome = await guard(
        new Promise<Outcome>((resolve) => {
          const req = http.get(`http://127.0.0.1:${port}/`, { agent: false }, (res) => {
            let body = '';
            res.setEncoding('latin1').on('data', (chunk: string) => {
              body += chunk;
              second?.();
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode,
                complete: res.complete,
                trailers: res.trailers,
                body,
              }),
            );
            res.on('error', () =>
              resolve({ status: res.statusCode, complete: false, trailers: {}, body }),
            );
          });
          req.on('error', () => resolve({ complete: false, trailers: {}, body: '' }));
        }),
        () => 'the client got no end of the response',
      );
      // The node:http transport's parser refuses such trailers itself: the response is cut off.
      if (kind === 'undici')
        expect(outcome).toEqual({
          status: 200,
          complete: true,
          trailers: { 'x-ok': 'yes' },
          body: 'hello',
        });
      // The process survives and keeps serving.
      expect(await rssOf(port)).toBeGreaterThan(0);
      expect(alive(run)).toBe(true);
    });
  },
);

describe.each(['node', 'undici'])(
  'upgradeAware (%s transport) with a backend sending endless 103 to a client that does not read',
  (kind) => {
    it('fails the request after five, closes the backend connection and stays small', async () => {
      let backendClosed: Promise<unknown> | undefined;
      const hint = Buffer.from(
        `HTTP/1.1 103 Early Hints\r\nLink: </${'a'.repeat(200)}.css>; rel=preload\r\n\r\n`,
      );
      const location = await rawBackend((socket) => {
        backendClosed = new Promise((resolve) => socket.once('close', resolve));
        const flood = (): void => {
          while (!socket.destroyed && socket.write(hint));
        };
        socket.on('drain', flood);
        flood();
      });
      const { run, port } = await startChild(location, kind);
      const client = net.connect(port, '127.0.0.1');
      client.on('error', () => {});
      await once(client, 'connect');
      client.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      client.pause(); // the client reads nothing until the backend connection is gone
      try {
        await waitFor(() => backendClosed !== undefined, 'the backend to get the request');
        await guard(backendClosed!, () => 'the proxy never closed the flooding backend connection');
        const rss = await rssOf(port);
        expect(rss).toBeLessThan(RSS_LIMIT);
        client.resume();
        const chunks: Buffer[] = [];
        client.on('data', (chunk: Buffer) => chunks.push(chunk));
        await guard(once(client, 'end'), () => 'the client got no end of the response');
        const text = Buffer.concat(chunks).toString('latin1');
        expect(text.match(/HTTP\/1\.1 103 /g)?.length ?? 0).toBeLessThanOrEqual(5);
        // 502 through an agent; 503 through the rewriting transport the default configuration uses.
        expect(text).toMatch(kind === 'node' ? /HTTP\/1\.1 502 / : /HTTP\/1\.1 503 /);
        expect(text).toContain('too many 1xx informational responses');
        expect(alive(run)).toBe(true);
      } finally {
        client.destroy();
      }
    });
  },
);

describe.each(['node', 'undici'])(
  'upgradeAware (%s transport) behind a lenient parser, with request trailers Node refuses',
  (kind) => {
    it('keeps the process alive and forwards the valid trailers', async () => {
      let trailers: NodeJS.Dict<string> | undefined;
      const backend = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          trailers = req.trailers;
          res.end('ok');
        });
      });
      servers.push(backend);
      backend.listen(0, '127.0.0.1');
      await once(backend, 'listening');
      const location = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
      const { run, port } = await startChild(location, kind, 'lenient');
      const client = net.connect(port, '127.0.0.1');
      client.on('error', () => {});
      await once(client, 'connect');
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A control character in a trailer value: the lenient parser takes it, Node's writer would throw.
      client.write(
        'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n' +
          'Trailer: X-Bad, X-Ok\r\n\r\n5\r\nhello\r\n0\r\nX-Bad: a\x01b\r\nX-Ok: yes\r\n\r\n',
      );
      try {
        await guard(once(client, 'end'), () => 'the client got no end of the response');
        expect(Buffer.concat(chunks).toString('latin1')).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\nok$/);
        expect(trailers).toEqual({ 'x-ok': 'yes' });
        expect(alive(run)).toBe(true);
      } finally {
        client.destroy();
      }
    });
  },
);
