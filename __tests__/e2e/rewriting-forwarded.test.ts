// The X-Forwarded-* headers of the rewriting transport, as the backend receives them
// (docs/rewriting.md, "Request headers"; docs/differences.md, P3 and P13). Our decision: the
// proxy always sets them, so a client's own values never pass as if the proxy had set them:
// X-Forwarded-Uri is the prefix joined with the escaped outgoing path; X-Forwarded-Host the Host
// the client asked for (removed when it sent none);
// X-Forwarded-Proto `https` on a TLS connection, else `http`.
import http from 'node:http';
import https from 'node:https';
import { upgradeAware } from '../../lib/index.js';
import type { UpgradeAwareOptions } from '../../lib/index.js';
import { makeTls } from '../fixtures/tls.js';
import { rawExchange, startExpress, startProxy, startRecorder } from '../helpers/servers.js';
import type { Running, Seen } from '../helpers/servers.js';

let backend: Awaited<ReturnType<typeof startRecorder>>;
beforeAll(async () => {
  backend = await startRecorder();
});
afterAll(async () => {
  await backend.close();
});

const opened: Running[] = [];
afterEach(async () => {
  for (const running of opened.splice(0)) await running.close();
  backend.seen.length = 0;
});

/** The header lines named `name` (any case) the backend received, in order. */
function lines(seen: Seen, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2) {
    if (seen.rawHeaders[i]!.toLowerCase() === name) out.push(seen.rawHeaders[i + 1]!);
  }
  return out;
}

async function proxyFor(options: Partial<UpgradeAwareOptions> = {}): Promise<Running> {
  const proxy = await startProxy({
    location: `${backend.url}/`,
    useRequestLocation: true,
    ...options,
  });
  opened.push(proxy);
  return proxy;
}

/** Sends `head` (without the blank line) and returns what the backend saw. */
async function seenFor(proxy: Running, head: string): Promise<Seen> {
  const response = await rawExchange(proxy.port, `${head}\r\nConnection: close\r\n\r\n`);
  expect(response.status).toBe(200);
  expect(backend.seen).toHaveLength(1);
  return backend.seen[0]!;
}

describe('upgradeAware X-Forwarded-* through the rewriting transport', () => {
  it('replaces every client-supplied X-Forwarded-Host, -Proto and -Uri line with one of its own', async () => {
    const proxy = await proxyFor();
    const seen = await seenFor(
      proxy,
      [
        'GET /a/b?q=1 HTTP/1.1',
        'Host: client.example:8443',
        'X-Forwarded-Host: evil.example',
        'x-forwarded-host: evil2.example',
        'X-Forwarded-Proto: https',
        'X-FORWARDED-URI: /evil',
        'x-forwarded-uri: /evil2',
      ].join('\r\n'),
    );
    expect(lines(seen, 'x-forwarded-host')).toEqual(['client.example:8443']);
    expect(lines(seen, 'x-forwarded-proto')).toEqual(['http']);
    expect(lines(seen, 'x-forwarded-uri')).toEqual(['/a/b']);
  });

  it('writes the names it sets in canonical case, as the other headers the proxy sets', async () => {
    const proxy = await proxyFor();
    const seen = await seenFor(proxy, 'GET /a HTTP/1.1\r\nHost: h\r\nx-forwarded-uri: /evil');
    const names = seen.rawHeaders.filter(
      (_, i) => i % 2 === 0 && /^x-forwarded-/i.test(seen.rawHeaders[i]!),
    );
    expect(names.sort()).toEqual([
      'X-Forwarded-For',
      'X-Forwarded-Host',
      'X-Forwarded-Proto',
      'X-Forwarded-Uri',
    ]);
  });

  it('removes a client-supplied X-Forwarded-Host when the client sent no Host', async () => {
    const proxy = await proxyFor();
    const response = await rawExchange(
      proxy.port,
      'GET /a HTTP/1.0\r\nX-Forwarded-Host: evil.example\r\n\r\n',
    );
    expect(response.status).toBe(200);
    const seen = backend.seen[0]!;
    expect(lines(seen, 'x-forwarded-host')).toEqual([]);
    expect(lines(seen, 'x-forwarded-proto')).toEqual(['http']);
    expect(lines(seen, 'x-forwarded-uri')).toEqual(['/a']);
  });

  it("sets X-Forwarded-Host to the client's Host, not the location's, with useLocationHost", async () => {
    const proxy = await proxyFor({ useLocationHost: true });
    const seen = await seenFor(proxy, 'GET /a HTTP/1.1\r\nHost: client.example');
    expect(seen.headers.host).toBe(`127.0.0.1:${backend.port}`);
    expect(lines(seen, 'x-forwarded-host')).toEqual(['client.example']);
  });

  it('sends X-Forwarded-Proto: https for a client on TLS', async () => {
    const tls = makeTls();
    const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
    const app = await startExpress([['/', proxy]], tls);
    opened.push(app);
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: app.port,
          path: '/secure',
          ca: tls.ca,
          agent: false,
          headers: { 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'evil.example' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const seen = backend.seen[0]!;
    expect(lines(seen, 'x-forwarded-proto')).toEqual(['https']);
    expect(lines(seen, 'x-forwarded-host')).toEqual([`127.0.0.1:${app.port}`]);
    expect(lines(seen, 'x-forwarded-uri')).toEqual(['/secure']);
  });

  it.each([
    ['the root, unmounted', '', '/', '/'],
    ['the root under a mount', '/proxy', '/proxy/', '/proxy/'],
    ['a path with a trailing slash', '/proxy', '/proxy/a/b/', '/proxy/a/b/'],
    // Go's rule: the slash is added when the decoded path (`/a/`) ends with one.
    ['a path with an escaped slash at the end', '/proxy', '/proxy/a%2F', '/proxy/a%2F/'],
    [
      "a path to escape by Go's rules",
      '/proxy',
      '/proxy/a%20b/<c>(d)?x=<y>',
      '/proxy/a%20b/%3Cc%3E%28d%29',
    ],
    ['a path with dot segments', '/proxy', '/proxy/a/./b/../c', '/proxy/a/c'],
    ['a mount with an escaped character', '/p%20q', '/p%20q/a', '/p%20q/a'],
  ])('sets X-Forwarded-Uri for %s', async (_name, mount, target, forwardedUri) => {
    const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
    const app =
      mount === '' ? await startExpress([['/', proxy]]) : await startExpress([[mount, proxy]]);
    opened.push(app);
    const response = await rawExchange(
      app.port,
      `GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(200);
    expect(lines(backend.seen[0]!, 'x-forwarded-uri')).toEqual([forwardedUri]);
  });

  it('leaves X-Forwarded-* alone when the rewriting transport is off', async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      const proxy = await proxyFor({ transport: agent });
      const seen = await seenFor(
        proxy,
        'GET /a HTTP/1.1\r\nHost: client.example\r\nX-Forwarded-Host: upstream.example\r\nX-Forwarded-Uri: /outer/a',
      );
      expect(lines(seen, 'x-forwarded-host')).toEqual(['upstream.example']);
      expect(lines(seen, 'x-forwarded-uri')).toEqual(['/outer/a']);
      expect(lines(seen, 'x-forwarded-proto')).toEqual([]);
    } finally {
      agent.destroy();
    }
  });
});
