import {
  serializeHead,
  upgradeRequest,
  upgradeRequestInit,
  upgradeTarget,
} from '../../lib/upgrade/backend-request.js';
import { Agent } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { ResolvedOptions } from '../../lib/options.js';
import type { UpgradeAwareOptions } from '../../lib/types.js';
import type { UpgradeRequestInit } from '../../lib/types/clients.js';
import { toPairs } from '../../lib/util/raw-headers.js';
import { rewriteTarget, setForwardedHeaders } from '../../lib/rewrite/forwarded.js';
import { host } from '../../lib/http/stages/host.js';
import { clientHeaders } from '../../lib/http/stages/client-headers.js';
import { requestHeaders } from '../../lib/http/stages/request-headers.js';
import { targetUrl } from '../../lib/http/stages/target-url.js';
import { RequestSource, exchangeFor, head, mountAt, options } from '../helpers/exchange.js';

/** `upgradeTarget` for a fixed location and no other option. */
function targetFor(location: string, path: string, query: string | null): string {
  const resolved = options({ location });
  return upgradeTarget(resolved, resolved.location!, path, query);
}

describe('upgradeTarget', () => {
  describe('without useRequestLocation (docs/differences.md, P2)', () => {
    it("dials the location's own path and ignores the request's path and query", () => {
      const resolved = options({ location: 'http://backend:8080/hello' });
      expect(upgradeTarget(resolved, resolved.location!, '/some/path', 'watch=1')).toBe('/hello');
      expect(upgradeTarget(resolved, resolved.location!, '', null)).toBe('/hello');
    });

    it("keeps the location's own query", () => {
      const resolved = options({ location: 'http://backend/exec?command=sh&stdin=true' });
      expect(upgradeTarget(resolved, resolved.location!, '/x', 'tty=1')).toBe(
        '/exec?command=sh&stdin=true',
      );
    });

    it('sends / for a location without a path, with its query when it has one', () => {
      expect(targetFor('http://backend', '/x', null)).toBe('/');
      expect(targetFor('http://backend?a=b', '/x', null)).toBe('/?a=b');
    });

    it('ignores appendLocationPath, as Kubernetes does', () => {
      const resolved = options({ location: 'http://backend/base', appendLocationPath: true });
      expect(upgradeTarget(resolved, resolved.location!, '/x', 'q')).toBe('/base');
    });

    it("keeps the location's path raw, escapes included", () => {
      expect(targetFor('http://backend/a%2Fb/', '/x', null)).toBe('/a%2Fb/');
    });
  });

  describe('with useRequestLocation', () => {
    it("forwards the request's path and query and drops the location's", () => {
      const resolved = options({ location: 'http://backend/base?own=1', useRequestLocation: true });
      expect(upgradeTarget(resolved, resolved.location!, '/api/watch', 'a=1&b=%2F')).toBe(
        '/api/watch?a=1&b=%2F',
      );
      expect(upgradeTarget(resolved, resolved.location!, '/api/watch', null)).toBe('/api/watch');
    });

    it('keeps an empty query (`?` alone) apart from no query', () => {
      const resolved = options({ location: 'http://backend/', useRequestLocation: true });
      expect(upgradeTarget(resolved, resolved.location!, '/x', '')).toBe('/x?');
    });

    it('sends / for the mount root asked without its slash', () => {
      const resolved = options({ location: 'http://backend/', useRequestLocation: true });
      expect(upgradeTarget(resolved, resolved.location!, '', null)).toBe('/');
      expect(upgradeTarget(resolved, resolved.location!, '', 'q=1')).toBe('/?q=1');
    });

    it("joins the location's path in front with appendLocationPath, with exactly one slash", () => {
      const at = (location: string, path: string, query: string | null = null): string => {
        const resolved = options({ location, useRequestLocation: true, appendLocationPath: true });
        return upgradeTarget(resolved, resolved.location!, path, query);
      };
      expect(at('http://backend/base', '/x', 'q=1')).toBe('/base/x?q=1');
      expect(at('http://backend/base/', '/x')).toBe('/base/x');
      expect(at('http://backend/base', 'x')).toBe('/base/x');
      expect(at('http://backend/base/', '/')).toBe('/base/');
      expect(at('http://backend', '')).toBe('/');
      expect(at('http://backend?own=1', '/x')).toBe('/x');
    });
  });
});

/** upgradeRequestInit for a request at `/some/path?x=1` of an unmounted proxy. */
function initOf(
  resolved: ResolvedOptions,
  req: IncomingMessage,
  path = '/some/path',
  query: string | null = 'x=1',
): UpgradeRequestInit {
  const src = { req, path, query };
  return upgradeRequestInit(resolved, src, upgradeRequest(resolved, src, resolved.location!));
}

describe('upgradeRequestInit', () => {
  let source: RequestSource;
  beforeAll(async () => {
    source = await RequestSource.start();
  });
  afterAll(() => source.close());

  const upgradeHead = (...extra: string[]): string =>
    head(
      'GET /some/path?x=1 HTTP/1.1',
      'Host: proxy.example:8001',
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      ...extra,
    );

  it('keeps every client header, hop-by-hop ones included', async () => {
    const { req } = await source.send(
      upgradeHead(
        'Proxy-Authorization: Basic eA==',
        'Keep-Alive: timeout=5',
        'TE: trailers',
        'X-Stream-Protocol-Version: v4.channel.k8s.io',
      ),
    );
    const init = initOf(options({ location: 'http://backend:9000/hello' }), req);
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

  it("appends the client's address to X-Forwarded-For", async () => {
    const fresh = await source.send(upgradeHead());
    expect(
      initOf(options({ location: 'http://backend/' }), fresh.req).headers['x-forwarded-for'],
    ).toBe('127.0.0.1');
    const chained = await source.send(
      upgradeHead('X-Forwarded-For: 10.0.0.1', 'X-Forwarded-For: 10.0.0.2, 10.0.0.3'),
    );
    expect(
      initOf(options({ location: 'http://backend/' }), chained.req).headers['x-forwarded-for'],
    ).toBe('10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1');
  });

  it("sends the location's host with useLocationHost, the client's otherwise", async () => {
    const { req } = await source.send(upgradeHead());
    expect(
      initOf(options({ location: 'http://backend:9000/hello', useLocationHost: true }), req).headers
        .host,
    ).toBe('backend:9000');
    expect(initOf(options({ location: 'http://backend:9000/hello' }), req).headers.host).toBe(
      'proxy.example:8001',
    );
  });

  it("sends the location's host when the client sent none", async () => {
    const { req } = await source.send(head('GET / HTTP/1.0', 'Connection: Upgrade'));
    expect(initOf(options({ location: 'http://[::1]:9000/' }), req).headers.host).toBe(
      '[::1]:9000',
    );
  });

  it('forwards what an earlier middleware set in req.headers, and gives a copy', async () => {
    const { req } = await source.send(upgradeHead());
    req.headers['x-remote-user'] = 'alice';
    const init = initOf(options({ location: 'http://backend/' }), req);
    expect(init.headers['x-remote-user']).toBe('alice');
    init.headers.authorization = 'Bearer 1234';
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers['x-forwarded-for']).toBeUndefined();
  });

  it('keeps repeated lines apart: one list item, and one written line, per line the client sent', async () => {
    const versions = [
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
      'v3.channel.k8s.io',
      'v2.channel.k8s.io',
    ];
    const { req } = await source.send(
      upgradeHead(
        ...versions.map((v) => `X-Stream-Protocol-Version: ${v}`),
        'Cookie: a=1',
        'Cookie: b=2',
      ),
    );
    const init = initOf(options({ location: 'http://backend/' }), req);
    expect(init.headers['x-stream-protocol-version']).toEqual(versions);
    expect(init.headers.cookie).toEqual(['a=1', 'b=2']);
    const text = serializeHead(init);
    expect(text.match(/^x-stream-protocol-version: .*$/gm)).toEqual(
      versions.map((v) => `x-stream-protocol-version: ${v}`),
    );
  });

  it('applies what a middleware changed or deleted in req.headers', async () => {
    const { req } = await source.send(
      upgradeHead('X-Role: admin', 'X-Role: root', 'Authorization: Basic eA=='),
    );
    req.headers['x-role'] = 'viewer';
    delete req.headers.authorization;
    const init = initOf(options({ location: 'http://backend/' }), req);
    expect(init.headers['x-role']).toBe('viewer');
    expect(init.headers.authorization).toBeUndefined();
  });

  it('throws ERR_PROXY_BAD_REQUEST for two Host lines', async () => {
    const { req } = await source.send(upgradeHead('Host: evil.example'));
    expect(() => initOf(options({ location: 'http://backend/' }), req)).toThrow(
      expect.objectContaining({
        code: 'ERR_PROXY_BAD_REQUEST',
        status: 400,
        message: 'too many Host headers',
      }),
    );
  });

  describe('X-Forwarded-Uri, -Host and -Proto', () => {
    const spoofed = [
      'X-Forwarded-Host: evil.example',
      'x-forwarded-proto: https',
      'X-FORWARDED-URI: /evil',
      'X-Forwarded-Uri: /evil2',
    ];

    it("replaces the client's with the proxy's own when the rewriting transport is on", async () => {
      const { req } = await source.send(upgradeHead(...spoofed));
      const init = initOf(options({ location: 'http://backend/', useRequestLocation: true }), req);
      expect(init.headers).toMatchObject({
        'x-forwarded-host': 'proxy.example:8001',
        'x-forwarded-proto': 'http',
        'x-forwarded-uri': '/some/path',
      });
      expect(serializeHead(init)).not.toMatch(/evil/);
    });

    it("sets them as the HTTP path does: the prefix of a mount, the location's path without useRequestLocation", async () => {
      const mounted = await source.send(
        head(
          'GET /proxy/ws/a?x=1 HTTP/1.1',
          'Host: h',
          'Connection: Upgrade',
          'Upgrade: websocket',
        ),
      );
      mountAt(mounted.req, '/proxy');
      const at = (input: UpgradeAwareOptions): unknown =>
        initOf(options(input), mounted.req, '/ws/a', 'x=1').headers['x-forwarded-uri'];
      expect(at({ location: 'http://backend/', useRequestLocation: true })).toBe('/proxy/ws/a');
      expect(
        at({ location: 'http://backend/base', useRequestLocation: true, appendLocationPath: true }),
      ).toBe('/proxy/base/ws/a');
      expect(at({ location: 'http://backend/hello' })).toBe('/proxy/ws/a/hello');
    });

    it.each([
      [{ location: 'http://backend/', useRequestLocation: true }, undefined],
      [{ location: 'http://backend/', useRequestLocation: true }, '/proxy'],
      [
        { location: 'http://backend/base/', useRequestLocation: true, appendLocationPath: true },
        '/proxy',
      ],
      [{ location: 'http://backend/hello' }, '/proxy'],
      [{ location: 'http://backend/a%20b' }, undefined],
    ])("gives the HTTP path's values for %j mounted at %s", async (input, mount) => {
      const raw = head(
        'GET /proxy/ws/a%3Cb%3E?x=1 HTTP/1.1',
        'Host: h',
        'Connection: Upgrade',
        'Upgrade: websocket',
      );
      const ex = await exchangeFor(source, raw, input, mount);
      for (const stage of [targetUrl, host, clientHeaders, requestHeaders]) stage(ex);
      setForwardedHeaders(ex, rewriteTarget(ex));
      const http = toPairs(ex.headers.raw)
        .filter(([name]) => /^x-forwarded-(uri|host|proto)$/i.test(name))
        .map(([name, value]) => [name.toLowerCase(), value]);
      const upgrade = initOf(options(input), ex.req, ex.path, ex.query).headers;
      expect(http).toHaveLength(3);
      for (const [name, value] of http) expect([name, upgrade[name!]]).toEqual([name, value]);
    });

    it('leaves out X-Forwarded-Host when the client sent no Host', async () => {
      const { req } = await source.send(
        head('GET / HTTP/1.0', 'Connection: Upgrade', 'X-Forwarded-Host: evil.example'),
      );
      expect(
        initOf(options({ location: 'http://backend/' }), req).headers['x-forwarded-host'],
      ).toBeUndefined();
    });

    it("passes the client's through when the rewriting transport is off", async () => {
      const agent = new Agent();
      try {
        const { req } = await source.send(upgradeHead(...spoofed));
        const init = initOf(options({ location: 'http://backend/', transport: agent }), req);
        expect(init.headers['x-forwarded-host']).toBe('evil.example');
        expect(init.headers['x-forwarded-uri']).toEqual(['/evil', '/evil2']);
      } finally {
        agent.destroy();
      }
    });
  });

  it('keeps the method of a POST upgrade (kubectl exec uses POST)', async () => {
    const { req } = await source.send(
      head(
        'POST /exec HTTP/1.1',
        'Host: a',
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        'Content-Length: 0',
      ),
    );
    expect(initOf(options({ location: 'http://backend/' }), req).method).toBe('POST');
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
    expect(serializeHead(init())).toBe(
      'GET /hello?x=1 HTTP/1.1\r\nhost: backend:80\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n',
    );
  });

  it('puts Host first whatever its case, writes one line per value, skips undefined ones', () => {
    const text = serializeHead(
      init({ headers: { 'X-A': ['1', '2'], 'X-Num': 3, 'X-None': undefined, Host: 'h' } }),
    );
    expect(text).toBe('GET /hello?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\nX-Num: 3\r\n\r\n');
  });

  it('rejects CR/LF in a header value (header injection through wrapRequest)', () => {
    expect(() =>
      serializeHead(init({ headers: { authorization: 'Bearer 1\r\nX-Injected: 1' } })),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
    // node:http's own validators throw: a TypeError of Node's realm, recognised by name and code.
    expect(() =>
      serializeHead(init({ headers: { authorization: 'Bearer 1\nX-Injected: 1' } })),
    ).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_CHAR' }));
    expect(() =>
      serializeHead(init({ headers: { 'x-list': ['ok', 'bad\r\n\r\nGET /there HTTP/1.1'] } })),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
  });

  it('rejects an invalid header name', () => {
    expect(() => serializeHead(init({ headers: { 'x-bad\r\nx-injected': '1' } }))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_HTTP_TOKEN' }),
    );
    expect(() => serializeHead(init({ headers: { 'x bad': '1' } }))).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_HTTP_TOKEN' }),
    );
  });

  it('rejects a path or method that would break the request line', () => {
    expect(() =>
      serializeHead(init({ path: '/x HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /y' })),
    ).toThrow(/invalid request target/);
    expect(() => serializeHead(init({ path: '/a b' }))).toThrow(TypeError);
    expect(() => serializeHead(init({ path: '' }))).toThrow(TypeError);
    expect(() => serializeHead(init({ method: 'GET /x' }))).toThrow(/invalid method/);
    expect(() => serializeHead(init({ method: '' }))).toThrow(TypeError);
  });
});
