import type { Exchange } from '../../lib/http/exchange.js';
import {
  forwardedHeaders,
  isForwardedHeader,
  rewriteTarget,
  setForwardedHeaders,
} from '../../lib/rewrite/forwarded.js';
import { host } from '../../lib/http/stages/host.js';
import { clientHeaders } from '../../lib/http/stages/client-headers.js';
import { requestHeaders } from '../../lib/http/stages/request-headers.js';
import { targetUrl } from '../../lib/http/stages/target-url.js';
import type { UpgradeAwareOptions } from '../../lib/types.js';
import { exchangeFor, head, useRequestSource } from '../helpers/exchange.js';

const sourceOf = useRequestSource();

/** An exchange for `raw` after the request stages that fill in target, Host and headers. */
async function prepared(
  raw: string,
  input: Partial<UpgradeAwareOptions> = {},
  mount?: string,
): Promise<Exchange> {
  const ex = await exchangeFor(
    sourceOf(),
    raw,
    { location: 'http://127.0.0.1:8080/', useRequestLocation: true, ...input },
    mount,
  );
  for (const stage of [targetUrl, host, clientHeaders, requestHeaders])
    expect(stage(ex)).toBe(false);
  return ex;
}

function valuesOf(ex: Exchange, name: string): string[] {
  const out: string[] = [];
  const raw = ex.headers.raw;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

describe('rewriteTarget', () => {
  it('knows no scheme or host for an origin-form request, so links stay path-only', async () => {
    const ex = await prepared(head('GET /a HTTP/1.1', 'Host: client.example'));
    expect(rewriteTarget(ex)).toEqual({ scheme: '', host: '', pathPrepend: '' });
  });

  it.each([
    ['http://foo.com/a', 'http', 'foo.com'],
    ['http://Foo.COM:8080/a?x=1', 'http', 'Foo.COM:8080'],
    ['HTTPS://foo.com/a', 'https', 'foo.com'],
    ['http://foo.com?x=1', 'http', 'foo.com'],
  ])(
    'takes the scheme (lower-cased) and host of the absolute-form target %s',
    async (target, scheme, hostname) => {
      const ex = await prepared(head(`GET ${target} HTTP/1.1`, 'Host: client.example'));
      expect(rewriteTarget(ex)).toMatchObject({ scheme, host: hostname });
    },
  );

  // Kubernetes' TestDefaultProxyTransport: the location's path trimmed off the request path.
  it.each([
    ['simple path', '/a/test/location', 'http://127.0.0.1:8080/location'],
    ['empty path', '/a/test/', 'http://127.0.0.1:8080'],
    ['location ending in slash', '/a/test/', 'http://127.0.0.1:8080/'],
  ])('%s: the path prefix is /a/test', async (_name, path, location) => {
    const ex = await prepared(
      head(`GET http://test.server:8080${path} HTTP/1.1`, 'Host: test.server:8080'),
      { location, useRequestLocation: false },
    );
    expect(rewriteTarget(ex)).toEqual({
      scheme: 'http',
      host: 'test.server:8080',
      pathPrepend: '/a/test',
    });
  });

  it('keeps the whole request path as the prefix when it does not end with the backend path', async () => {
    const ex = await prepared(head('GET /a/b HTTP/1.1', 'Host: h'), {
      location: 'http://127.0.0.1:8080/other',
      useRequestLocation: false,
    });
    expect(rewriteTarget(ex).pathPrepend).toBe('/a/b');
  });

  it('takes the Express mount as the prefix with useRequestLocation (P4)', async () => {
    const ex = await prepared(head('GET /proxy/x/y?q=1 HTTP/1.1', 'Host: h'), {}, '/proxy');
    expect(rewriteTarget(ex).pathPrepend).toBe('/proxy');
  });

  it('takes the mount and the path in front of the location path without useRequestLocation (P4)', async () => {
    const ex = await prepared(
      head('GET /proxy/a/test/location HTTP/1.1', 'Host: h'),
      { location: 'http://127.0.0.1:8080/location', useRequestLocation: false },
      '/proxy',
    );
    expect(rewriteTarget(ex).pathPrepend).toBe('/proxy/a/test');
  });

  it("gives the prefix decoded, as Go's URL.Path", async () => {
    const ex = await prepared(head('GET /p%20q/x HTTP/1.1', 'Host: h'), {}, '/p%20q');
    expect(rewriteTarget(ex).pathPrepend).toBe('/p q');
  });
});

describe('setForwardedHeaders', () => {
  it("replaces the client's X-Forwarded-Host, -Proto and -Uri lines, whatever their case", async () => {
    const ex = await prepared(
      head(
        'GET /proxy/a?q=1 HTTP/1.1',
        'Host: client.example',
        'X-Forwarded-Host: evil',
        'x-forwarded-proto: https',
        'X-FORWARDED-URI: /evil',
        'X-Other: kept',
      ),
      {},
      '/proxy',
    );
    setForwardedHeaders(ex, rewriteTarget(ex));
    expect(valuesOf(ex, 'x-forwarded-host')).toEqual(['client.example']);
    expect(valuesOf(ex, 'x-forwarded-proto')).toEqual(['http']);
    expect(valuesOf(ex, 'x-forwarded-uri')).toEqual(['/proxy/a']);
    expect(valuesOf(ex, 'x-other')).toEqual(['kept']);
  });

  it('removes X-Forwarded-Host when the client sent no Host', async () => {
    const ex = await prepared(head('GET /a HTTP/1.0', 'X-Forwarded-Host: evil'));
    setForwardedHeaders(ex, rewriteTarget(ex));
    expect(valuesOf(ex, 'x-forwarded-host')).toEqual([]);
    expect(valuesOf(ex, 'x-forwarded-uri')).toEqual(['/a']);
  });

  it('sets X-Forwarded-Proto: https on a TLS connection', async () => {
    const ex = await prepared(head('GET /a HTTP/1.1', 'Host: h', 'X-Forwarded-Proto: http'));
    Object.defineProperty(ex.req.socket, 'encrypted', { value: true });
    setForwardedHeaders(ex, rewriteTarget(ex));
    expect(valuesOf(ex, 'x-forwarded-proto')).toEqual(['https']);
  });

  it("uses the client's Host even for an absolute-form target with another host", async () => {
    const ex = await prepared(head('GET http://foo.com/a HTTP/1.1', 'Host: client.example'));
    setForwardedHeaders(ex, rewriteTarget(ex));
    expect(valuesOf(ex, 'x-forwarded-host')).toEqual(['client.example']);
  });

  it.each([
    ['/ for the root, never // (P3)', 'GET / HTTP/1.1', undefined, '/'],
    ['the prefix and the root with its slash', 'GET /proxy/ HTTP/1.1', '/proxy', '/proxy/'],
    [
      "the path escaped by Go's rules (P13)",
      'GET /proxy/a%20b/<c>(d)?<q> HTTP/1.1',
      '/proxy',
      '/proxy/a%20b/%3Cc%3E%28d%29',
    ],
    [
      'the escaped slash of the path kept, and a slash added after it',
      'GET /proxy/a%2F HTTP/1.1',
      '/proxy',
      '/proxy/a%2F/',
    ],
    [
      'the path cleaned of dot segments',
      'GET /proxy/a/../b/./c/ HTTP/1.1',
      '/proxy',
      '/proxy/b/c/',
    ],
    ['a decoded prefix escaped again', 'GET /p%20q/a HTTP/1.1', '/p%20q', '/p%20q/a'],
  ])('sets X-Forwarded-Uri to %s', async (_name, requestLine, mount, expected) => {
    const ex = await prepared(head(requestLine, 'Host: h'), {}, mount);
    setForwardedHeaders(ex, rewriteTarget(ex));
    expect(valuesOf(ex, 'x-forwarded-uri')).toEqual([expected]);
  });
});

describe('forwardedHeaders', () => {
  it('gives the three headers the proxy sets, canonical names, the query left out of X-Forwarded-Uri', async () => {
    const ex = await prepared(head('GET /x HTTP/1.1', 'Host: client.example'));
    expect(forwardedHeaders(ex.req, '/proxy', '/a/b?q=1')).toEqual([
      'X-Forwarded-Uri',
      '/proxy/a/b',
      'X-Forwarded-Host',
      'client.example',
      'X-Forwarded-Proto',
      'http',
    ]);
  });
});

describe('isForwardedHeader', () => {
  it.each([
    ['X-Forwarded-Uri', true],
    ['x-forwarded-host', true],
    ['X-FORWARDED-PROTO', true],
    ['X-Forwarded-For', false],
    ['X-Forwarded-Hosts', false],
    ['Forwarded', false],
  ])('%s: %s', (name, expected) => {
    expect(isForwardedHeader(name)).toBe(expected);
  });
});
