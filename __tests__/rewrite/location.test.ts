import { Readable } from 'node:stream';
import type { BackendResponse } from '../../lib/transport/backend-response.js';
import { ProxyError } from '../../lib/errors/proxy-error.js';
import type { Exchange } from '../../lib/http/exchange.js';
import { rewriteTarget } from '../../lib/rewrite/forwarded.js';
import { rewriteLocation } from '../../lib/rewrite/location.js';
import { host } from '../../lib/http/stages/host.js';
import { targetUrl } from '../../lib/http/stages/target-url.js';
import type { UpgradeAwareOptions } from '../../lib/types.js';
import { exchangeFor, head, useRequestSource } from '../helpers/exchange.js';

const sourceOf = useRequestSource();

const BACKEND = 'backend.example:8080';

/** `GET /proxy/page` mounted at /proxy, useRequestLocation, backend at BACKEND; `raw` replaces the request. */
async function mounted(
  raw = head('GET /proxy/page HTTP/1.1', 'Host: client.example'),
  input: Partial<UpgradeAwareOptions> = {},
): Promise<Exchange> {
  const ex = await exchangeFor(
    sourceOf(),
    raw,
    { location: `http://${BACKEND}/`, useRequestLocation: true, ...input },
    '/proxy',
  );
  targetUrl(ex);
  host(ex);
  return ex;
}

function backend(headers: Record<string, string[]>, body = 'body'): BackendResponse {
  return {
    status: 302,
    statusMessage: 'Found',
    headers: new Map(Object.entries(headers)),
    body: Readable.from([Buffer.from(body)]),
    trailers: () => [],
  };
}

/** The Location after rewriting `location` for `ex`. */
function rewritten(ex: Exchange, location: string): string | undefined {
  const response = backend({ location: [location] });
  expect(rewriteLocation(ex, response, rewriteTarget(ex))).toBe(true);
  expect(response.headers.get('location')).toHaveLength(1);
  return response.headers.get('location')![0];
}

describe('rewriteLocation', () => {
  it.each([
    ['no Location', {}],
    ['an empty Location', { location: [''] }],
  ])('does nothing and returns false for %s', async (_name, headers) => {
    const ex = await mounted();
    const response = backend(headers);
    expect(rewriteLocation(ex, response, rewriteTarget(ex))).toBe(false);
    expect(Object.fromEntries(response.headers)).toEqual(headers);
  });

  it.each([
    ['a path-only Location', '/next?a=1#f', '/proxy/next?a=1#f'],
    ["a Location on the backend (the location's host)", `http://${BACKEND}/next`, '/proxy/next'],
    [
      'a Location on the Host sent to the backend, which it keeps',
      'http://client.example/next',
      'http://client.example/proxy/next',
    ],
    ['a Location already under the prefix', '/proxy/next', '/proxy/next'],
    ['a relative Location', 'next', 'next'],
    ['another host', 'http://example.com/next', 'http://example.com/next'],
    [
      "the backend's name on another port",
      'http://backend.example/next',
      'http://backend.example/next',
    ],
    ["a path escaped by Go's rules", '/a b/<c>', '/proxy/a%20b/%3Cc%3E'],
    ["another host, escaped by Go's rules", 'http://example.com/a b', 'http://example.com/a%20b'],
  ])('rewrites %s', async (_name, location, expected) => {
    expect(rewritten(await mounted(), location)).toBe(expected);
  });

  it("compares with the Host sent to the backend, the location's with useLocationHost", async () => {
    const ex = await mounted(undefined, { useLocationHost: true });
    expect(rewritten(ex, 'http://client.example/next')).toBe('http://client.example/next');
    expect(rewritten(ex, `http://${BACKEND}/next`)).toBe(`http://${BACKEND}/proxy/next`);
  });

  it('gives a same-host Location the scheme and host of an absolute-form request', async () => {
    // Unmounted: the prefix is the request path in front of the location's path.
    const ex = await exchangeFor(
      sourceOf(),
      head('GET https://foo.com/proxy/page HTTP/1.1', 'Host: foo.com'),
      { location: `http://${BACKEND}/page` },
    );
    targetUrl(ex);
    host(ex);
    expect(rewritten(ex, `http://${BACKEND}/next`)).toBe('https://foo.com/proxy/next');
    expect(rewritten(ex, '/next')).toBe('https://foo.com/proxy/next');
  });

  it('rewrites the first of several Location values and keeps only it', async () => {
    const ex = await mounted();
    const response = backend({ location: ['/first', '/second'] });
    rewriteLocation(ex, response, rewriteTarget(ex));
    expect(response.headers.get('location')).toEqual(['/proxy/first']);
  });

  it.each([
    ['http://[::1', 'parse "http://[::1": missing \']\' in host'],
    ['%zz', 'parse "%zz": invalid URL escape "%zz"'],
    ['http://a b/', 'parse "http://a b/": invalid character " " in host name'],
  ])(
    "throws ERR_PROXY_BAD_LOCATION (500, Kubernetes' message) for %s and discards the body",
    async (location, reason) => {
      const ex = await mounted();
      const response = backend({ location: [location] });
      let thrown: unknown;
      try {
        rewriteLocation(ex, response, rewriteTarget(ex));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ProxyError);
      const err = thrown as ProxyError;
      expect(err.code).toBe('ERR_PROXY_BAD_LOCATION');
      expect(err.status).toBe(500);
      expect(err.message).toBe(
        `Internal error occurred: error trying to parse Location header: ${reason}`,
      );
      expect(response.body.readableFlowing).toBe(true);
    },
  );
});
