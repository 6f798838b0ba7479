import { parseUrl } from '../../lib/rewrite/go/url.js';
import {
  forwardedUri,
  pathPrepend,
  rewriteUrl,
  type RewriteTarget,
} from '../../lib/rewrite/rewrite-url.js';

// The transports of Kubernetes' TestProxyTransport (apimachinery transport_test.go).
const T: RewriteTarget = {
  scheme: 'http',
  host: 'foo.com',
  pathPrepend: '/proxy/node/node1:10250',
};
const T2: RewriteTarget = {
  scheme: 'https',
  host: 'foo.com',
  pathPrepend: '/proxy/node/node1:8080',
};
const EMPTY: RewriteTarget = { scheme: '', host: '', pathPrepend: '/proxy/node/node1:10250' };
const NO_HOST: RewriteTarget = {
  scheme: 'https',
  host: '',
  pathPrepend: '/proxy/node/node1:10250',
};

/** Rewrites `url` as found on a page of `sourceHost`, asked for with Host `reqHost`. */
function rewrite(
  url: string,
  t: RewriteTarget,
  sourceHost = 'mynode.com',
  reqHost = sourceHost,
): string {
  return rewriteUrl(parseUrl(url), { host: sourceHost }, reqHost, t);
}

const SCRIPT = '%00<script>alert(1)</script>';
const SCRIPT_ESCAPED = '%00%3Cscript%3Ealert%281%29%3C/script%3E';

describe('rewriteUrl', () => {
  describe('Location vectors of T12', () => {
    it.each([
      [
        'redirect rel',
        '/redirected/target/',
        T,
        undefined,
        'http://foo.com/proxy/node/node1:10250/redirected/target/',
      ],
      [
        'redirect abs same host',
        'http://mynode.com/redirected/target/',
        T,
        undefined,
        'http://foo.com/proxy/node/node1:10250/redirected/target/',
      ],
      [
        'redirect abs other host',
        'http://example.com/redirected/target/',
        T,
        undefined,
        'http://example.com/redirected/target/',
      ],
      [
        'redirect abs use reqHost no host no scheme',
        'http://10.0.0.1:8001/redirected/target/',
        EMPTY,
        '10.0.0.1:8001',
        'http://10.0.0.1:8001/proxy/node/node1:10250/redirected/target/',
      ],
      [
        'redirect rel must be escaped',
        `/redirected/target/${SCRIPT}/`,
        T,
        undefined,
        `http://foo.com/proxy/node/node1:10250/redirected/target/${SCRIPT_ESCAPED}/`,
      ],
      [
        'redirect abs same host must be escaped',
        `http://mynode.com/redirected/target/${SCRIPT}/`,
        T,
        undefined,
        `http://foo.com/proxy/node/node1:10250/redirected/target/${SCRIPT_ESCAPED}/`,
      ],
      [
        'redirect abs other host must be escaped',
        `http://example.com/redirected/target/${SCRIPT}/`,
        T,
        undefined,
        `http://example.com/redirected/target/${SCRIPT_ESCAPED}/`,
      ],
      [
        'redirect abs use reqHost no host no scheme must be escaped',
        `http://10.0.0.1:8001/redirected/target/${SCRIPT}/`,
        EMPTY,
        '10.0.0.1:8001',
        `http://10.0.0.1:8001/proxy/node/node1:10250/redirected/target/${SCRIPT_ESCAPED}/`,
      ],
    ])('%s', (_name, location, t, reqHost, expected) => {
      expect(rewrite(location, t, 'mynode.com', reqHost)).toBe(expected);
    });
  });

  describe('link vectors of T12', () => {
    it.each([
      ['absolute path', '/google.log', T, 'http://foo.com/proxy/node/node1:10250/google.log'],
      ['trailing slash', '/google.log/', T, 'http://foo.com/proxy/node/node1:10250/google.log/'],
      ['relative link unchanged', 'kubelet.log', T, 'kubelet.log'],
      ['subdir', '/google.log', T2, 'https://foo.com/proxy/node/node1:8080/google.log'],
      ['image relative unchanged', 'kubernetes.jpg', T, 'kubernetes.jpg'],
      [
        'image absolute path',
        '/kubernetes_abs.jpg',
        T,
        'http://foo.com/proxy/node/node1:10250/kubernetes_abs.jpg',
      ],
      [
        'abs other host unchanged',
        'http://google.com/kubernetes.js',
        T,
        'http://google.com/kubernetes.js',
      ],
      [
        'abs but same host',
        'http://mynode.com/kubernetes.js',
        T,
        'http://foo.com/proxy/node/node1:10250/kubernetes.js',
      ],
    ])('%s', (_name, link, t, expected) => {
      expect(rewrite(link, t)).toBe(expected);
    });

    it('leaves a link that already carries the prefix alone (source contains the redirect already)', () => {
      const link = 'http://foo.com/proxy/node/node1:10250/google.log';
      expect(rewrite(link, T, 'foo.com')).toBe(link);
    });
  });

  it('compares hosts as exact strings, port included', () => {
    expect(rewrite('http://mynode.com:8080/x', T)).toBe('http://mynode.com:8080/x');
    expect(rewrite('http://mynode.com:8080/x', T, 'mynode.com:8080')).toBe(
      'http://foo.com/proxy/node/node1:10250/x',
    );
    expect(rewrite('http://MYNODE.com/x', T)).toBe('http://MYNODE.com/x');
  });

  it('treats the Host sent to the backend as the same host', () => {
    expect(rewrite('http://front:8001/x', T, 'mynode.com', 'front:8001')).toBe(
      'http://foo.com/proxy/node/node1:10250/x',
    );
  });

  it('leaves URLs without an absolute path alone', () => {
    expect(rewrite('http://mynode.com', T)).toBe('http://mynode.com');
    expect(rewrite('mailto:a@mynode.com', T)).toBe('mailto:a@mynode.com');
    expect(rewrite('#top', T)).toBe('#top');
    expect(rewrite('?q=1', T)).toBe('?q=1');
    expect(rewrite('../up', T)).toBe('../up');
  });

  it('makes a link path-only when the proxy knows neither scheme nor host', () => {
    expect(rewrite('http://mynode.com/x', EMPTY, 'mynode.com', '10.0.0.1:8001')).toBe(
      '/proxy/node/node1:10250/x',
    );
    expect(rewrite('/x', EMPTY, 'mynode.com', '10.0.0.1:8001')).toBe('/proxy/node/node1:10250/x');
  });

  it('keeps the scheme and host of a URL naming the requested Host when the proxy knows neither', () => {
    expect(rewrite('http://mynode.com/x', EMPTY)).toBe(
      'http://mynode.com/proxy/node/node1:10250/x',
    );
  });

  it('writes https:/// when only the scheme is known, as Go does', () => {
    expect(rewrite('/x', NO_HOST)).toBe('https:///proxy/node/node1:10250/x');
  });

  it('checks the prefix as a plain string prefix, not per segment', () => {
    expect(rewrite('/proxy/node/node1:102500/x', T)).toBe(
      'http://foo.com/proxy/node/node1:102500/x',
    );
  });

  it('cleans the joined path and restores its trailing slash', () => {
    expect(rewrite('/a/../../b/', T)).toBe('http://foo.com/proxy/node/b/');
    expect(rewrite('//x//y', T)).toBe('//x//y'); // a network-path reference to another host
    expect(rewrite('/x//y/./z', T)).toBe('http://foo.com/proxy/node/node1:10250/x/y/z');
  });

  it('keeps the query and fragment as they came, and the userinfo', () => {
    expect(rewrite('/x?a=%zz&b=<c>#f%20g', T)).toBe(
      'http://foo.com/proxy/node/node1:10250/x?a=%zz&b=<c>#f%20g',
    );
    expect(rewrite('http://u:p@mynode.com/x', T)).toBe(
      'http://u:p@foo.com/proxy/node/node1:10250/x',
    );
  });

  it('keeps a valid raw path that a prefixed path no longer matches out of the result', () => {
    expect(rewrite('/a%2Fb', T)).toBe('http://foo.com/proxy/node/node1:10250/a/b');
    expect(rewrite('/proxy/node/node1:10250/a%2Fb', T)).toBe(
      'http://foo.com/proxy/node/node1:10250/a%2Fb',
    );
  });

  it('escapes a decoded prefix', () => {
    expect(rewrite('/x', { ...T, pathPrepend: '/a b<' })).toBe('http://foo.com/a%20b%3C/x');
  });

  it('does not modify the parsed URL', () => {
    const u = Object.freeze(parseUrl('http://mynode.com/x'));
    expect(rewriteUrl(u, { host: 'mynode.com' }, 'mynode.com', T)).toBe(
      'http://foo.com/proxy/node/node1:10250/x',
    );
    expect(u.host).toBe('mynode.com');
  });
});

describe('forwardedUri', () => {
  it.each([
    ['/proxy/node/node1:10250', '/logs/log.log', '/proxy/node/node1:10250/logs/log.log'],
    [
      '/proxy/node/node1:8080',
      '/whatever/apt/somelog.log',
      '/proxy/node/node1:8080/whatever/apt/somelog.log',
    ],
    ['/proxy/node/node1:10250', '/', '/proxy/node/node1:10250/'],
    ['/proxy/node/node1:10250', '/any/path/', '/proxy/node/node1:10250/any/path/'],
    ['/proxy/node/node1:10250', '/redirect', '/proxy/node/node1:10250/redirect'],
    [
      '/proxy/node/node1:10250',
      '/logs/log.log%00<script>alert(1)</script>',
      '/proxy/node/node1:10250/logs/log.log%00%3Cscript%3Ealert%281%29%3C/script%3E',
    ],
  ])('joins %j and %j (T12)', (prefix, path, expected) => {
    expect(forwardedUri(prefix, path)).toBe(expected);
  });

  it('sends / for the root, never // (P3)', () => {
    expect(forwardedUri('', '/')).toBe('/');
    expect(forwardedUri('', '')).toBe('/');
    expect(forwardedUri('', '/a/')).toBe('/a/');
  });

  it('cleans dot segments and double slashes', () => {
    expect(forwardedUri('/p', '/a/../b')).toBe('/p/b');
    expect(forwardedUri('/p/', '//a//b//')).toBe('/p/a/b/');
  });

  it('keeps a valid escape and a trailing %2F, adding the slash Kubernetes adds', () => {
    expect(forwardedUri('/p', '/a%2Fb')).toBe('/p/a%2Fb');
    expect(forwardedUri('/p', '/a%2F')).toBe('/p/a%2F/');
  });

  it('escapes the decoded prefix', () => {
    expect(forwardedUri('/a b', '/x')).toBe('/a%20b/x');
    expect(forwardedUri('/a\nb', '/x')).toBe('/a%0Ab/x');
  });

  it('escapes a path with a bad escape, keeping its valid ones', () => {
    expect(forwardedUri('/p', '/a%zz<%41')).toBe('/p/a%25zz%3C%41');
  });
});

describe('pathPrepend', () => {
  it.each([
    // Kubernetes' TestDefaultProxyTransport (apimachinery upgradeaware_test.go).
    ['/a/test/location', '/location', '/a/test'],
    ['/a/test/', '', '/a/test'],
    ['/a/test/', '/', '/a/test'],
    // The Express mount (P4).
    ['/proxy/x/y', '/x/y', '/proxy'],
    ['/proxy/', '/', '/proxy'],
    ['/proxy', '/', '/proxy'],
    ['/', '/', ''],
    ['/', '', ''],
  ])('trims %j by %j to %j', (original, backend, expected) => {
    expect(pathPrepend(original, backend)).toBe(expected);
  });

  it('gives a slash to the suffix when only the incoming path ends with one', () => {
    expect(pathPrepend('/a/b/', '/b')).toBe('/a');
  });

  it('trims nothing when the path does not end with the suffix', () => {
    expect(pathPrepend('/a/test', '/other')).toBe('/a/test');
    expect(pathPrepend('/a/test/', '/test')).toBe('/a');
    expect(pathPrepend('/a/test/', '/tes')).toBe('/a/test/');
  });

  it('compares and returns decoded paths, as Kubernetes does with URL.Path', () => {
    expect(pathPrepend('/proxy/a%20b/x%2Fy', '/x/y')).toBe('/proxy/a b');
    expect(pathPrepend('/p/%zz', '/%zz')).toBe('/p');
  });
});
