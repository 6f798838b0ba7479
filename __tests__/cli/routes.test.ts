// kubectl proxy's routing (docs/cli.md, "Paths"): Go ServeMux semantics over the API prefix and the static
// prefix, then stripLeaveSlash when the API prefix does not start with /api.
import { NOT_FOUND, cleanPath, createRouter, unescapePath } from '../../lib/cli/routes.js';

const BAD_REQUEST = { kind: 'error', status: 400, body: '400 Bad Request\n' };

describe('unescapePath', () => {
  it.each([
    ['/plain/path', '/plain/path'],
    ['/a%20b', '/a b'],
    ['/a%2Fb%3d', '/a/b='],
    ['/%E2%82%AC', '/€'],
    ['/%e2%82%ac', '/€'],
    ['/a+b', '/a+b'],
    ['/%2e%2E', '/..'],
  ])('decodes %s to %s', (raw, decoded) => {
    expect(unescapePath(raw)).toBe(decoded);
  });

  it('turns bytes that are not UTF-8 into U+FFFD, as Go does', () => {
    expect(unescapePath('/%FF')).toBe('/\uFFFD');
  });

  it.each(['/%zz', '/a%2', '/a%', '%', '/%g0', '/ok%20then%x1'])(
    'refuses the malformed escape in %s',
    (raw) => {
      expect(unescapePath(raw)).toBeUndefined();
    },
  );
});

describe('cleanPath', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['a/b', '/a/b'],
    ['/a/b/', '/a/b/'],
    ['//', '/'],
    ['/a//b', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/a/b/..', '/a'],
    ['/a/b/../', '/a/'],
    ['/..', '/'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/b/./', '/a/b/'],
  ])('cleans %j to %j', (path, clean) => {
    expect(cleanPath(path)).toBe(clean);
  });
});

describe('createRouter', () => {
  describe('prefix matching', () => {
    const route = createRouter({ apiPrefix: '/', wwwPrefix: '/static/' });

    it('sends the longest matching prefix to its handler', () => {
      expect(route('/static/app.js')).toEqual({
        kind: 'static',
        path: '/app.js',
        trailingSlash: false,
      });
      expect(route('/staticfile')).toEqual({
        kind: 'proxy',
        url: '/staticfile',
        path: '/staticfile',
      });
      expect(route('/api/v1/pods')).toEqual({
        kind: 'proxy',
        url: '/api/v1/pods',
        path: '/api/v1/pods',
      });
    });

    it('gives the file server the decoded path below the prefix, and whether it ended in a slash', () => {
      expect(route('/static/')).toEqual({ kind: 'static', path: '/', trailingSlash: true });
      expect(route('/static/sub/')).toEqual({ kind: 'static', path: '/sub/', trailingSlash: true });
      expect(route('/static/a%20b.txt')).toEqual({
        kind: 'static',
        path: '/a b.txt',
        trailingSlash: false,
      });
    });

    it('prefers a longer API prefix inside the static prefix', () => {
      const nested = createRouter({ apiPrefix: '/static/api/', wwwPrefix: '/static/' });
      expect(nested('/static/api/x')).toEqual({ kind: 'proxy', url: '/x', path: '/x' });
      expect(nested('/static/other')).toEqual({
        kind: 'static',
        path: '/other',
        trailingSlash: false,
      });
    });

    it('prefers a longer static prefix inside the API prefix', () => {
      const nested = createRouter({ apiPrefix: '/api/', wwwPrefix: '/api/ui/' });
      expect(nested('/api/ui/index.js')).toEqual({
        kind: 'static',
        path: '/index.js',
        trailingSlash: false,
      });
      expect(nested('/api/v1')).toEqual({ kind: 'proxy', url: '/api/v1', path: '/api/v1' });
    });

    it('answers 404 `404 page not found\\n` where no prefix matches', () => {
      const api = createRouter({ apiPrefix: '/api/' });
      expect(NOT_FOUND).toEqual({ kind: 'error', status: 404, body: '404 page not found\n' });
      expect(api('/metrics')).toEqual(NOT_FOUND);
      expect(api('/')).toEqual(NOT_FOUND);
      expect(api('/apis/x')).toEqual(NOT_FOUND);
    });

    it('has no static route without a static prefix', () => {
      const api = createRouter({ apiPrefix: '/api/' });
      expect(api('/static/x')).toEqual(NOT_FOUND);
    });
  });

  describe('redirects', () => {
    const route = createRouter({ apiPrefix: '/', wwwPrefix: '/static/' });

    it.each([
      ['/a//b', '/a/b'],
      ['//a', '/a'],
      ['/a/./b', '/a/b'],
      ['/a/../b', '/b'],
      ['/a/b/..', '/a'],
      ['/a/%2e%2e/b', '/b'],
      ['/a/%2E%2E/b', '/b'],
      ['/a/..%2fb', '/b'],
      ['/a/%2e/b', '/a/b'],
      ['/a%2F%2Fb', '/a/b'],
      ['/static/../etc/passwd', '/etc/passwd'],
      ['/static/%2e%2e/secret', '/secret'],
      ['/..', '/'],
    ])('sends the unclean %s to %s with 301', (url, location) => {
      expect(route(url)).toEqual({ kind: 'redirect', location });
    });

    it('keeps the query, byte for byte, on a clean-path redirect', () => {
      expect(route('/a//b?x=1&y=%2F&z=a%20b')).toEqual({
        kind: 'redirect',
        location: '/a/b?x=1&y=%2F&z=a%20b',
      });
    });

    it('escapes the cleaned path in the Location', () => {
      expect(route('/a%20b//c')).toEqual({ kind: 'redirect', location: '/a%20b/c' });
      expect(route('/a%3Fb//c?q=1')).toEqual({ kind: 'redirect', location: '/a%3Fb/c?q=1' });
      expect(route('/a%23b/./c')).toEqual({ kind: 'redirect', location: '/a%23b/c' });
      expect(route('/100%25//x')).toEqual({ kind: 'redirect', location: '/100%25/x' });
    });

    it('sends a prefix asked without its trailing slash to the prefix, keeping the query', () => {
      expect(route('/static')).toEqual({ kind: 'redirect', location: '/static/' });
      expect(route('/static?v=1')).toEqual({ kind: 'redirect', location: '/static/?v=1' });
      const api = createRouter({ apiPrefix: '/api/' });
      expect(api('/api')).toEqual({ kind: 'redirect', location: '/api/' });
    });
  });

  describe('stripLeaveSlash (API prefix not starting with /api)', () => {
    const route = createRouter({ apiPrefix: '/custom/' });

    it('strips the prefix and keeps the leading slash', () => {
      expect(route('/custom/api/v1/pods?watch=1')).toEqual({
        kind: 'proxy',
        url: '/api/v1/pods?watch=1',
        path: '/api/v1/pods',
      });
    });

    it('forwards the raw path byte for byte and gives the filter the decoded path', () => {
      expect(route('/custom/a%3Db%2Fc?x=%3D')).toEqual({
        kind: 'proxy',
        url: '/a%3Db%2Fc?x=%3D',
        path: '/a=b/c',
      });
      expect(route('/custom/%7Euser/a%20b')).toEqual({
        kind: 'proxy',
        url: '/%7Euser/a%20b',
        path: '/~user/a b',
      });
    });

    it('sends `/` for the prefix itself, with an empty path for the filter', () => {
      expect(route('/custom/')).toEqual({ kind: 'proxy', url: '/', path: '' });
      expect(route('/custom/?q=1')).toEqual({ kind: 'proxy', url: '/?q=1', path: '' });
      // The default prefix `/` does not start with /api either (TestAccept test1's empty path).
      expect(createRouter({ apiPrefix: '/' })('/?q=1')).toEqual({
        kind: 'proxy',
        url: '/?q=1',
        path: '',
      });
    });

    it('answers 404 for an escaped prefix, which cannot be stripped from the raw path', () => {
      expect(route('/cust%6Fm/x')).toEqual(NOT_FOUND);
    });

    it('answers 404 outside the prefix and redirects the bare prefix', () => {
      expect(route('/api/v1/pods')).toEqual(NOT_FOUND);
      expect(route('/custom')).toEqual({ kind: 'redirect', location: '/custom/' });
    });

    it('does not strip a prefix starting with /api, even /apis/ (kubectl tests HasPrefix "/api")', () => {
      const apis = createRouter({ apiPrefix: '/apis/' });
      expect(apis('/apis/x%3D?y')).toEqual({
        kind: 'proxy',
        url: '/apis/x%3D?y',
        path: '/apis/x=',
      });
      const api = createRouter({ apiPrefix: '/api/' });
      expect(api('/api/a%3Db?x=%2F')).toEqual({
        kind: 'proxy',
        url: '/api/a%3Db?x=%2F',
        path: '/api/a=b',
      });
    });
  });

  describe('absolute-form request targets', () => {
    it('routes on the path and returns the host', () => {
      const route = createRouter({ apiPrefix: '/' });
      expect(route('http://example.com:8080/api/x?y=1')).toEqual({
        kind: 'proxy',
        url: '/api/x?y=1',
        path: '/api/x',
        host: 'example.com:8080',
      });
      // The default prefix `/` is stripped too (it does not start with /api): the root's path is empty.
      expect(route('HTTP://Example.com')).toEqual({
        kind: 'proxy',
        url: '/',
        path: '',
        host: 'Example.com',
      });
    });

    it('strips the prefix from an absolute-form target too', () => {
      const route = createRouter({ apiPrefix: '/custom/' });
      expect(route('http://h/custom/x%3D?q')).toEqual({
        kind: 'proxy',
        url: '/x%3D?q',
        path: '/x=',
        host: 'h',
      });
    });

    it('redirects an unclean absolute-form path to the clean path alone', () => {
      const route = createRouter({ apiPrefix: '/' });
      expect(route('http://h/a//b?q=1')).toEqual({ kind: 'redirect', location: '/a/b?q=1' });
    });
  });

  describe('malformed targets', () => {
    const route = createRouter({ apiPrefix: '/', wwwPrefix: '/static/' });

    it.each(['/%zz', '/a%2', '/static/%zz', '/a%00b', '*', 'example.com/x', ''])(
      'answers 400 for %j',
      (url) => {
        expect(route(url)).toEqual(BAD_REQUEST);
      },
    );
  });
});
