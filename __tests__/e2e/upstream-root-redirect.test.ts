// Kubernetes' TestProxyRedirectsforRootPath (apimachinery upgradeaware_test.go): the redirect
// helper called directly for the path "" and a fresh response. Here the stage runs on an Exchange
// built by createExchange over a real IncomingMessage/ServerResponse; the request line is in
// absolute form without a path (`GET http://host HTTP/1.1`), the one request whose path is "".
import { createExchange } from '../../lib/http/exchange.js';
import { rootRedirect } from '../../lib/http/stages/root-redirect.js';
import { head, options, useRequestSource } from '../helpers/exchange.js';

const sourceOf = useRequestSource();

const CASES = [
  { name: 'root path, simple get', method: 'GET', query: '', redirect: true },
  { name: 'root path, simple put', method: 'PUT', query: '', redirect: false },
  { name: 'root path, simple head', method: 'HEAD', query: '', redirect: true },
  {
    name: 'root path, simple delete with params',
    method: 'DELETE',
    query: '?param1=value1',
    redirect: false,
  },
];

async function exchangeForRoot(method: string, query: string) {
  const host = `127.0.0.1:${sourceOf().port}`;
  const { req, res, response } = await sourceOf().send(
    head(
      `${method} http://${host}${query} HTTP/1.1`,
      `Host: ${host}`,
      'Content-Length: 0',
      'Connection: close',
    ),
  );
  const ex = createExchange(req, res, options({ location: `http://${host}` }));
  expect(ex.path).toBe('');
  ex.forwardedPath = ''; // upstream passes the path "" to the helper
  return { ex, response };
}

describe('rootRedirect (upstream TestProxyRedirectsforRootPath)', () => {
  it.each(CASES.filter((tc) => tc.redirect))(
    '$name: answers 301 with exactly `Location: /`',
    async (tc) => {
      const { ex, response } = await exchangeForRoot(tc.method, tc.query);
      expect(rootRedirect(ex)).toBe(true);
      expect(ex.res.statusCode).toBe(301);
      expect(ex.res.getHeaders()).toEqual({ location: '/' });
      expect(ex.res.writableEnded).toBe(true);
      const wire = await response();
      expect(wire).toMatch(/^HTTP\/1\.1 301 Moved Permanently\r\n/);
      expect(wire).toContain('\r\nLocation: /\r\n');
    },
  );

  it.each(CASES.filter((tc) => !tc.redirect))(
    '$name: leaves the response untouched',
    async (tc) => {
      const { ex, response } = await exchangeForRoot(tc.method, tc.query);
      expect(rootRedirect(ex)).toBe(false);
      expect(ex.res.statusCode).toBe(200);
      expect(ex.res.getHeaderNames()).toEqual([]);
      expect(ex.res.headersSent).toBe(false);
      expect(ex.res.writableEnded).toBe(false);
      ex.res.end();
      expect(await response()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    },
  );
});
