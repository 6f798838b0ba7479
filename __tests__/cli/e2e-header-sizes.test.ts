// Header sizes through the real command, as through kubectl proxy (Go's server and transport): a
// request head up to Go's 1 MiB (`DefaultMaxHeaderBytes`) plus 4096 bytes is forwarded (a 40 KiB
// query, which Node's default 16 KiB limit refused with 400), a longer one gets Go's 431, and a
// backend's 20 KiB response header reaches the client. A path that long does not stall the filter.
import { once } from 'node:events';
import http from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { MAX_REQUEST_HEAD_BYTES } from '../../lib/cli/server.js';
import { rawRequest } from '../helpers/servers.js';
import { startCliProcess } from './spawn.js';

const KIB = 1024;

/** A backend that records each request's URL length and answers with an `X-Big` header of `bigHeader` bytes. */
async function startBackend(bigHeader = 0) {
  const urlLengths: number[] = [];
  // The backend itself must read what it is sent: a 1 MiB head is more than Node's default.
  const server = http.createServer({ maxHeaderSize: 4 * MAX_REQUEST_HEAD_BYTES }, (req, res) => {
    urlLengths.push(req.url!.length);
    if (bigHeader > 0) res.setHeader('X-Big', 'b'.repeat(bigHeader));
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    urlLengths,
    close(): Promise<void> {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let backend: Awaited<ReturnType<typeof startBackend>> | undefined;

afterEach(async () => {
  await backend?.close();
  backend = undefined;
});

const HEAD_START = 'GET /api/v1/pods?q=';
const HEAD_END = ' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';

/** A GET whose query makes the whole head `headBytes` long. */
function getWithHead(headBytes: number): string {
  return HEAD_START + 'a'.repeat(headBytes - HEAD_START.length - HEAD_END.length) + HEAD_END;
}

/** The length of the request target in {@link getWithHead}'s head of `headBytes`. */
const targetLength = (headBytes: number): number => headBytes - 'GET '.length - HEAD_END.length;

/**
 * Writes `data` and collects what comes back until the server closes. Errors are ignored: a server
 * that refuses a head may reset the connection while the rest of it is still being written.
 */
async function sendAndCollect(port: number, data: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.write(data);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

describe('request heads', () => {
  it('forwards a 40 KiB query, as kubectl proxy does', async () => {
    backend = await startBackend();
    const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--quiet']);
    const answer = await rawRequest(cli.port, getWithHead(40 * KIB));
    expect(answer.status).toBe(200);
    expect(backend.urlLengths).toEqual([targetLength(40 * KIB)]);
  });

  it('forwards a head of exactly the limit, 1 MiB + 4096 bytes', async () => {
    backend = await startBackend();
    const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--quiet']);
    expect((await rawRequest(cli.port, getWithHead(MAX_REQUEST_HEAD_BYTES))).status).toBe(200);
    expect(backend.urlLengths).toEqual([targetLength(MAX_REQUEST_HEAD_BYTES)]);
  });

  it("answers a longer head with Go's 431, and the backend sees nothing", async () => {
    backend = await startBackend();
    const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--quiet']);
    const answer = await sendAndCollect(cli.port, getWithHead(MAX_REQUEST_HEAD_BYTES + 8 * KIB));
    expect(answer).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Connection: close\r\n\r\n431 Request Header Fields Too Large',
    );
    expect(backend.urlLengths).toEqual([]);
  });
});

describe('a long path and the request filter', () => {
  // Backtracking, `^/api/.*/pods/.*/exec` takes time quadratic in such a path: about five minutes
  // for this one, during which the command answers nobody. RE2 and V8's linear engine take about a
  // second. The guard is jest's timeout, not a measured time.
  it('judges a 1 MiB path of `/pods/` against the default filter without stalling', async () => {
    backend = await startBackend();
    const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--quiet']);
    const path = `/api/${'pods/'.repeat(200_000)}`;
    const answer = await rawRequest(
      cli.port,
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.status).toBe(200);
    expect(backend.urlLengths).toEqual([path.length]);
  }, 60_000);
});

describe('response heads', () => {
  // Relies on the middleware's node:http transport reading response heads of up to 1 MiB
  // (`maxResponseHeaderSize`); the command's agent adds no limit of its own.
  it('relays a 20 KiB response header from the backend', async () => {
    backend = await startBackend(20 * KIB);
    const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--quiet']);
    const answer = await rawRequest(cli.port, getWithHead(200));
    expect(answer.status).toBe(200);
    expect(answer.headers['x-big']).toEqual(['b'.repeat(20 * KIB)]);
    expect(answer.body.toString()).toBe('ok');
  });
});
