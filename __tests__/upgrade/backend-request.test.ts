import { serializeHead, upgradeRequestInit, upgradeTarget } from '../../lib/upgrade/backend-request.js';
import type { UpgradeRequestInit } from '../../lib/types.js';
import { RequestSource, head, options, releaseOptions } from '../helpers/exchange.js';

afterAll(releaseOptions);

describe('upgradeTarget', () => {
  describe('without useRequestLocation (spec 4.2, P2)', () => {
    it('dials the location\'s own path and ignores the request\'s path and query', () => {
      const resolved = options({ location: 'http://backend:8080/hello' });
      expect(upgradeTarget(resolved, '/some/path', 'watch=1')).toBe('/hello');
      expect(upgradeTarget(resolved, '', null)).toBe('/hello');
    });

    it('keeps the location\'s own query', () => {
      const resolved = options({ location: 'http://backend/exec?command=sh&stdin=true' });
      expect(upgradeTarget(resolved, '/x', 'tty=1')).toBe('/exec?command=sh&stdin=true');
    });

    it('sends / for a location without a path, with its query when it has one', () => {
      expect(upgradeTarget(options({ location: 'http://backend' }), '/x', null)).toBe('/');
      expect(upgradeTarget(options({ location: 'http://backend?a=b' }), '/x', null)).toBe('/?a=b');
    });

    it('ignores appendLocationPath, as Kubernetes does', () => {
      const resolved = options({ location: 'http://backend/base', appendLocationPath: true });
      expect(upgradeTarget(resolved, '/x', 'q')).toBe('/base');
    });

    it('keeps the location\'s path raw, escapes included', () => {
      expect(upgradeTarget(options({ location: 'http://backend/a%2Fb/' }), '/x', null)).toBe('/a%2Fb/');
    });
  });

  describe('with useRequestLocation', () => {
    it('forwards the request\'s path and query and drops the location\'s', () => {
      const resolved = options({ location: 'http://backend/base?own=1', useRequestLocation: true });
      expect(upgradeTarget(resolved, '/api/watch', 'a=1&b=%2F')).toBe('/api/watch?a=1&b=%2F');
      expect(upgradeTarget(resolved, '/api/watch', null)).toBe('/api/watch');
    });

    it('keeps an empty query (`?` alone) apart from no query', () => {
      const resolved = options({ location: 'http://backend/', useRequestLocation: true });
      expect(upgradeTarget(resolved, '/x', '')).toBe('/x?');
    });

    it('sends / for the mount root asked without its slash', () => {
      const resolved = options({ location: 'http://backend/', useRequestLocation: true });
      expect(upgradeTarget(resolved, '', null)).toBe('/');
      expect(upgradeTarget(resolved, '', 'q=1')).toBe('/?q=1');
    });

    it('joins the location\'s path in front with appendLocationPath, with exactly one slash', () => {
      const at = (location: string, path: string, query: string | null = null): string =>
        upgradeTarget(options({ location, useRequestLocation: true, appendLocationPath: true }), path, query);
      expect(at('http://backend/base', '/x', 'q=1')).toBe('/base/x?q=1');
      expect(at('http://backend/base/', '/x')).toBe('/base/x');
      expect(at('http://backend/base', 'x')).toBe('/base/x');
      expect(at('http://backend/base/', '/')).toBe('/base/');
      expect(at('http://backend', '')).toBe('/');
      expect(at('http://backend?own=1', '/x')).toBe('/x');
    });
  });
});

describe('upgradeRequestInit', () => {
  let source: RequestSource;
  beforeAll(async () => {
    source = await RequestSource.start();
  });
  afterAll(() => source.close());

  const upgradeHead = (...extra: string[]): string =>
    head('GET /some/path?x=1 HTTP/1.1', 'Host: proxy.example:8001', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', ...extra);

  it('keeps every client header, hop-by-hop ones included', async () => {
    const { req } = await source.send(upgradeHead('Proxy-Authorization: Basic eA==', 'Keep-Alive: timeout=5', 'TE: trailers', 'X-Stream-Protocol-Version: v4.channel.k8s.io'));
    const init = upgradeRequestInit(options({ location: 'http://backend:9000/hello' }), req, '/hello');
    expect(init.method).toBe('GET');
    expect(init.path).toBe('/hello');
    expect(init.headers).toMatchObject({
      host: 'proxy.example:8001',
      connection: 'Upgrade',
      upgrade: 'SPDY/3.1',
      'proxy-authorization': 'Basic eA==',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'x-stream-protocol-version': 'v4.channel.k8s.io',
    });
  });

  it('appends the client\'s address to X-Forwarded-For', async () => {
    const fresh = await source.send(upgradeHead());
    expect(upgradeRequestInit(options({ location: 'http://backend/' }), fresh.req, '/').headers['x-forwarded-for']).toBe('127.0.0.1');
    const chained = await source.send(upgradeHead('X-Forwarded-For: 10.0.0.1', 'X-Forwarded-For: 10.0.0.2, 10.0.0.3'));
    expect(upgradeRequestInit(options({ location: 'http://backend/' }), chained.req, '/').headers['x-forwarded-for'])
      .toBe('10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1');
  });

  it('sends the location\'s host with useLocationHost, the client\'s otherwise', async () => {
    const { req } = await source.send(upgradeHead());
    expect(upgradeRequestInit(options({ location: 'http://backend:9000/hello', useLocationHost: true }), req, '/hello').headers.host).toBe('backend:9000');
    expect(upgradeRequestInit(options({ location: 'http://backend:9000/hello' }), req, '/hello').headers.host).toBe('proxy.example:8001');
  });

  it('sends the location\'s host when the client sent none', async () => {
    const { req } = await source.send(head('GET / HTTP/1.0', 'Connection: Upgrade'));
    expect(upgradeRequestInit(options({ location: 'http://[::1]:9000/' }), req, '/').headers.host).toBe('[::1]:9000');
  });

  it('forwards what an earlier middleware set in req.headers, and gives a copy', async () => {
    const { req } = await source.send(upgradeHead());
    req.headers['x-remote-user'] = 'alice';
    const init = upgradeRequestInit(options({ location: 'http://backend/' }), req, '/');
    expect(init.headers['x-remote-user']).toBe('alice');
    init.headers.authorization = 'Bearer 1234';
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers['x-forwarded-for']).toBeUndefined();
  });

  it('keeps the method of a POST upgrade (kubectl exec uses POST)', async () => {
    const { req } = await source.send(head('POST /exec HTTP/1.1', 'Host: a', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', 'Content-Length: 0'));
    expect(upgradeRequestInit(options({ location: 'http://backend/' }), req, '/exec').method).toBe('POST');
  });
});

describe('serializeHead', () => {
  const init = (patch: Partial<UpgradeRequestInit> = {}): UpgradeRequestInit => ({
    method: 'GET',
    path: '/hello?x=1',
    headers: { connection: 'Upgrade', upgrade: 'websocket', host: 'backend:80' },
    ...patch,
  });

  it('writes the request line, Host first, every header, and the blank line', () => {
    expect(serializeHead(init())).toBe('GET /hello?x=1 HTTP/1.1\r\nhost: backend:80\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n');
  });

  it('puts Host first whatever its case, writes one line per value, skips undefined ones', () => {
    const text = serializeHead(init({ headers: { 'X-A': ['1', '2'], 'X-Num': 3, 'X-None': undefined, Host: 'h' } }));
    expect(text).toBe('GET /hello?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\nX-Num: 3\r\n\r\n');
  });

  it('rejects CR/LF in a header value (header injection through wrapRequest)', () => {
    expect(() => serializeHead(init({ headers: { authorization: 'Bearer 1\r\nX-Injected: 1' } }))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
    // node:http's own validators throw: a TypeError of Node's realm, recognised by name and code.
    expect(() => serializeHead(init({ headers: { authorization: 'Bearer 1\nX-Injected: 1' } }))).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_CHAR' }));
    expect(() => serializeHead(init({ headers: { 'x-list': ['ok', 'bad\r\n\r\nGET /there HTTP/1.1'] } }))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
  });

  it('rejects an invalid header name', () => {
    expect(() => serializeHead(init({ headers: { 'x-bad\r\nx-injected': '1' } }))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_HTTP_TOKEN' }));
    expect(() => serializeHead(init({ headers: { 'x bad': '1' } }))).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_HTTP_TOKEN' }));
  });

  it('rejects a path or method that would break the request line', () => {
    expect(() => serializeHead(init({ path: '/x HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /y' }))).toThrow(/invalid request target/);
    expect(() => serializeHead(init({ path: '/a b' }))).toThrow(TypeError);
    expect(() => serializeHead(init({ path: '' }))).toThrow(TypeError);
    expect(() => serializeHead(init({ method: 'GET /x' }))).toThrow(/invalid method/);
    expect(() => serializeHead(init({ method: '' }))).toThrow(TypeError);
  });
});
