import { createExchange } from '../../../lib/http/exchange.js';
import { rootRedirect } from '../../../lib/http/stages/root-redirect.js';
import { targetUrl } from '../../../lib/http/stages/target-url.js';
import { exchangeFor, head, options, useRequestSource } from '../../helpers/exchange.js';

const sourceOf = useRequestSource();

/** A request whose forwarded path is empty (a location without path, a request path without trailing slash). */
async function emptyPath(method: string, requestTarget: string, mount?: string) {
  const raw = head(
    `${method} ${requestTarget} HTTP/1.1`,
    'Host: client.example',
    'Connection: close',
  );
  const ex = await exchangeFor(sourceOf(), raw, { location: 'http://127.0.0.1:8080' }, mount);
  ex.forwardedPath = '';
  return ex;
}

describe('rootRedirect', () => {
  it.each(['GET', 'HEAD'])(
    'redirects a %s of an empty path to the same path plus /',
    async (method) => {
      const ex = await emptyPath(method, '/proxy', '/proxy');
      expect(rootRedirect(ex)).toBe(true);
      expect(ex.res.statusCode).toBe(301);
      expect(ex.res.getHeader('Location')).toBe('/proxy/');
      expect(ex.res.writableEnded).toBe(true);
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])(
    'lets a %s of an empty path through',
    async (method) => {
      const ex = await emptyPath(method, '/proxy', '/proxy');
      expect(rootRedirect(ex)).toBe(false);
      expect(ex.res.headersSent).toBe(false);
      expect(ex.res.getHeader('Location')).toBeUndefined();
    },
  );

  it('lets a request with a non-empty forwarded path through', async () => {
    const ex = await emptyPath('GET', '/x');
    ex.forwardedPath = '/';
    expect(rootRedirect(ex)).toBe(false);
    expect(ex.res.headersSent).toBe(false);
  });

  it('keeps the mount and the query in Location', async () => {
    const ex = await emptyPath('GET', '/proxy/svc?a=1&b=%2F', '/proxy');
    rootRedirect(ex);
    expect(ex.res.getHeader('Location')).toBe('/proxy/svc/?a=1&b=%2F');
  });

  it('leaves out an empty query', async () => {
    const ex = await emptyPath('GET', '/proxy?', '/proxy');
    rootRedirect(ex);
    expect(ex.res.getHeader('Location')).toBe('/proxy/');
  });

  it('sends the 301 with its Location and no body on the wire', async () => {
    const received = await sourceOf().send(
      head('GET /svc?q HTTP/1.1', 'Host: client.example', 'Connection: close'),
    );
    const ex = createExchange(
      received.req,
      received.res,
      options({ location: 'http://127.0.0.1:8080' }),
    );
    ex.forwardedPath = '';
    rootRedirect(ex);
    const wire = await received.response();
    expect(wire).toMatch(/^HTTP\/1\.1 301 Moved Permanently\r\n/);
    expect(wire).toContain('\r\nLocation: /svc/?q\r\n');
    expect(wire).toContain('\r\nContent-Length: 0\r\n');
    expect(wire.endsWith('\r\n\r\n')).toBe(true);
  });

  it.each([
    ['//evil.example', '/evil.example/'],
    ['///evil.example', '/evil.example/'],
    ['//evil.example?x', '/evil.example/?x'],
    ['/\\evil.example', '/evil.example/'],
    ['/\\/evil.example', '/evil.example/'],
  ])('never turns %j into a protocol-relative Location', async (requestTarget, location) => {
    const ex = await emptyPath('GET', requestTarget);
    rootRedirect(ex);
    const sent = String(ex.res.getHeader('Location'));
    expect(sent).toBe(location);
    expect(sent).not.toMatch(/^[/\\]{2}/);
  });

  it('keeps double slashes after a mount', async () => {
    const ex = await emptyPath('GET', '/proxy//evil.example', '/proxy');
    rootRedirect(ex);
    expect(ex.res.getHeader('Location')).toBe('/proxy//evil.example/');
  });

  it('fires for the empty path a real targetUrl leaves for a pathless location', async () => {
    const ex = await exchangeFor(
      sourceOf(),
      head('GET /proxy HTTP/1.1', 'Host: client.example'),
      { location: 'http://127.0.0.1:8080' },
      '/proxy',
    );
    targetUrl(ex);
    expect(rootRedirect(ex)).toBe(true);
    expect(ex.res.getHeader('Location')).toBe('/proxy/');
  });
});
