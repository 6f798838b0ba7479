import http from 'node:http';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forwardedFor } from '../../lib/util/forwarded-for.js';
import { RequestSource, head } from '../helpers/exchange.js';

let source: RequestSource;
beforeAll(async () => {
  source = await RequestSource.start();
});
afterAll(async () => {
  await source.close();
});

const GET = head('GET / HTTP/1.1', 'Host: client.example');

/** A request received over a unix socket, whose remote address is undefined. */
async function overUnixSocket<T>(use: (req: http.IncomingMessage) => T): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xff-'));
  const socketPath = path.join(dir, 'server.sock');
  const server = http.createServer();
  server.listen(socketPath);
  await once(server, 'listening');
  try {
    const client = http.request({ socketPath, path: '/', agent: false });
    client.on('error', () => {});
    client.end();
    const [req, res] = (await once(server, 'request')) as [
      http.IncomingMessage,
      http.ServerResponse,
    ];
    const result = use(req);
    res.end();
    return result;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('forwardedFor', () => {
  it('is the client address when nothing came before', async () => {
    const { req } = await source.send(GET);
    expect(forwardedFor(req, [])).toBe('127.0.0.1');
  });

  it('appends the client address to earlier values, joined with ", "', async () => {
    const { req } = await source.send(GET);
    expect(forwardedFor(req, ['192.0.2.1', '192.0.2.2, 192.0.2.3'])).toBe(
      '192.0.2.1, 192.0.2.2, 192.0.2.3, 127.0.0.1',
    );
  });

  it('shows an IPv4-mapped IPv6 address as IPv4', async () => {
    const mapped = await RequestSource.start('::ffff:127.0.0.1');
    try {
      const { req } = await mapped.send(GET);
      expect(req.socket.remoteAddress).toBe('::ffff:127.0.0.1');
      expect(forwardedFor(req, [])).toBe('127.0.0.1');
    } finally {
      await mapped.close();
    }
  });

  it('keeps a plain IPv6 address as it is', async () => {
    const { req } = await source.send(GET);
    Object.defineProperty(req.socket, 'remoteAddress', { value: '2001:db8::1' });
    expect(forwardedFor(req, [])).toBe('2001:db8::1');
  });

  it('is undefined for a client without an IP address that sent none', async () => {
    await expect(overUnixSocket((req) => forwardedFor(req, []))).resolves.toBeUndefined();
  });

  it('is the earlier values alone for a client without an IP address', async () => {
    await expect(
      overUnixSocket((req) => forwardedFor(req, ['192.0.2.1', '192.0.2.2'])),
    ).resolves.toBe('192.0.2.1, 192.0.2.2');
  });
});
