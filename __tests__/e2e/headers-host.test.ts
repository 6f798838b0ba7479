// A request with two Host lines gets 400 (RFC 9112 section 3.2), on both paths, and nothing
// reaches the backend. Node keeps the first Host and would forward the request; Go's server (so
// kubectl proxy) answers `400 Bad Request`. The message is Go's reason, `too many Host headers`.
import type { UpgradeAwareOptions } from '../../lib/index.js';
import { rawRequest, startProxy, startRecorder } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

let backend: Awaited<ReturnType<typeof startRecorder>>;
/** Upgrades that reached the backend. */
let upgrades = 0;
beforeAll(async () => {
  backend = await startRecorder();
  backend.server.on('upgrade', (_req, socket) => {
    upgrades++;
    socket.destroy();
  });
});
afterAll(() => backend.close());

const opened: Running[] = [];
afterEach(async () => {
  for (const running of opened.splice(0)) await running.close();
  backend.seen.length = 0;
});

async function proxyFor(options: Partial<UpgradeAwareOptions> = {}): Promise<Running> {
  const proxy = await startProxy({ location: backend.url, useRequestLocation: true, ...options });
  opened.push(proxy);
  return proxy;
}

/** Sends the request line and header lines with two Host lines, and expects the proxy's 400. */
async function expectRefused(port: number, requestLine: string, ...lines: string[]): Promise<void> {
  const response = await rawRequest(
    port,
    [
      requestLine,
      'Host: 127.0.0.1',
      ...lines,
      'host: evil.example',
      'Connection: close',
      '',
      '',
    ].join('\r\n'),
  );
  expect(response.status).toBe(400);
  expect(response.body.toString()).toBe('too many Host headers\n');
}

describe('upgradeAware with two Host lines', () => {
  it('answers 400 on the HTTP path and sends nothing to the backend', async () => {
    const proxy = await proxyFor();
    await expectRefused(proxy.port, 'GET /a HTTP/1.1');
    expect(backend.seen).toHaveLength(0);
  });

  it('answers 400 on the HTTP path with useLocationHost too', async () => {
    const proxy = await proxyFor({ useLocationHost: true });
    await expectRefused(proxy.port, 'POST /a HTTP/1.1', 'Content-Length: 0');
    expect(backend.seen).toHaveLength(0);
  });

  it('answers 400 to an upgrade and dials nobody', async () => {
    const proxy = await proxyFor();
    await expectRefused(
      proxy.port,
      'GET /ws HTTP/1.1',
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    );
    expect(upgrades).toBe(0);
    expect(backend.seen).toHaveLength(0);
  });

  it("answers 400 to a plain request that asks for an upgrade (the upgrade path, on the request's response)", async () => {
    const proxy = await proxyFor();
    await expectRefused(
      proxy.port,
      'POST /exec HTTP/1.1',
      'Connection: Upgrade',
      'Content-Length: 0',
    );
    expect(backend.seen).toHaveLength(0);
  });
});
