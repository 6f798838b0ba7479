import { cleanPath, joinPath } from '../../../lib/rewrite/go/path.js';
import { fromByteString, toByteString } from '../../../lib/rewrite/go/strings.js';
import { escapePath, escapedPath } from '../../../lib/rewrite/go/escape.js';
import { UrlParseError, formatUrl, parsePath, parseUrl } from '../../../lib/rewrite/go/url.js';

/** The error `fn` throws (the test fails if it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('parseUrl', () => {
  it("splits an absolute URL into Go's fields", () => {
    expect(parseUrl('http://user:pa%20ss@Example.com:8080/a%2Fb/c?q=1&x=%zz#frag%20x')).toEqual({
      scheme: 'http',
      opaque: '',
      user: { username: 'user', password: 'pa ss' },
      host: 'Example.com:8080',
      path: '/a/b/c',
      rawPath: '/a%2Fb/c',
      omitHost: false,
      forceQuery: false,
      rawQuery: 'q=1&x=%zz',
      fragment: 'frag x',
      rawFragment: '',
    });
  });

  it('lower-cases the scheme and keeps the host and path case', () => {
    const u = parseUrl('HTTP://Host.Example/Path');
    expect([u.scheme, u.host, u.path]).toEqual(['http', 'Host.Example', '/Path']);
  });

  it('keeps a raw path only when it differs from the default encoding', () => {
    expect(parseUrl('/a%20b')).toMatchObject({ path: '/a b', rawPath: '' });
    expect(parseUrl('/a b')).toMatchObject({ path: '/a b', rawPath: '/a b' });
    expect(parseUrl('/a%2fb')).toMatchObject({ path: '/a/b', rawPath: '/a%2fb' });
  });

  it('takes a rootless path after a scheme as opaque', () => {
    expect(parseUrl('mailto:joe@example.com')).toMatchObject({
      scheme: 'mailto',
      opaque: 'joe@example.com',
      path: '',
    });
  });

  it('sets ForceQuery for a lone trailing question mark only', () => {
    expect(parseUrl('/a?')).toMatchObject({ forceQuery: true, rawQuery: '' });
    expect(parseUrl('/a??')).toMatchObject({ forceQuery: false, rawQuery: '?' });
    expect(parseUrl('/a?b?')).toMatchObject({ forceQuery: false, rawQuery: 'b?' });
  });

  it('keeps the raw query byte for byte', () => {
    expect(parseUrl('/a?x=<y>&z=%zz+1').rawQuery).toBe('x=<y>&z=%zz+1');
  });

  it('marks a scheme with an absolute path and no authority as OmitHost', () => {
    expect(parseUrl('file:/x')).toMatchObject({ omitHost: true, host: '', path: '/x' });
    expect(parseUrl('file:///x')).toMatchObject({ omitHost: false, host: '', path: '/x' });
  });

  it('reads relative references as Go does', () => {
    expect(parseUrl('kubelet.log')).toMatchObject({ scheme: '', host: '', path: 'kubelet.log' });
    expect(parseUrl('//host/p')).toMatchObject({ host: 'host', path: '/p' });
    expect(parseUrl('///p')).toMatchObject({ host: '', path: '///p' });
    expect(parseUrl('#top')).toMatchObject({ path: '', fragment: 'top' });
    expect(parseUrl('*')).toMatchObject({ path: '*' });
  });

  it('splits userinfo at the last @ and keeps a missing password apart from an empty one', () => {
    expect(parseUrl('http://a@b@c/').user).toEqual({ username: 'a@b', password: null });
    expect(parseUrl('http://a:@c/').user).toEqual({ username: 'a', password: '' });
  });

  it('decodes an IPv6 zone and keeps the port', () => {
    expect(parseUrl('http://[fe80::1%25en0]:8080/').host).toBe('[fe80::1%en0]:8080');
    expect(parseUrl('http://[::1]/').host).toBe('[::1]');
  });

  it('takes the last colon as the port outside http and https', () => {
    expect(parseUrl('foo://a:1:2/').host).toBe('a:1:2');
  });

  it('keeps a fragment raw form only when it differs from the default encoding', () => {
    expect(parseUrl('/a#x%2Fy')).toMatchObject({ fragment: 'x/y', rawFragment: 'x%2Fy' });
    expect(parseUrl('/a#x%20y')).toMatchObject({ fragment: 'x y', rawFragment: '' });
  });
});

describe('parseUrl errors', () => {
  it.each([
    ['http://a/%zz', 'parse "http://a/%zz": invalid URL escape "%zz"'],
    ['/a%2', 'parse "/a%2": invalid URL escape "%2"'],
    ['/a\x00b', 'parse "/a\\x00b": net/url: invalid control character in URL'],
    ['/a\nb', 'parse "/a\\nb": net/url: invalid control character in URL'],
    ['/a\x7f', 'parse "/a\\x7f": net/url: invalid control character in URL'],
    ['://x', 'parse "://x": missing protocol scheme'],
    ['1a:b/x', 'parse "1a:b/x": first path segment in URL cannot contain colon'],
    ['a b:c', 'parse "a b:c": first path segment in URL cannot contain colon'],
    ['http://a b/', 'parse "http://a b/": invalid character " " in host name'],
    ['http://host:port/', 'parse "http://host:port/": invalid port ":port" after host'],
    ['http://a:1:2/', 'parse "http://a:1:2/": invalid port ":1:2" after host'],
    ['http://%41/', 'parse "http://%41/": invalid URL escape "%41"'],
    ['http://[::1/', 'parse "http://[::1/": missing \']\' in host'],
    ['http://[1.2.3.4]/', 'parse "http://[1.2.3.4]/": invalid IP-literal'],
    ['http://a[::1]/', 'parse "http://a[::1]/": invalid IP-literal'],
    ['http://[::1]x/', 'parse "http://[::1]x/": invalid port "x" after host'],
    ['http://us er@h/', 'parse "http://us er@h/": net/url: invalid userinfo'],
    ['/%zz#frag', 'parse "/%zz": invalid URL escape "%zz"'],
    ['/a#%zz', 'parse "/a#%zz": invalid URL escape "%zz"'],
  ])("rejects %j with Go's message", (input, message) => {
    const err = thrown(() => parseUrl(input));
    expect(err).toBeInstanceOf(UrlParseError);
    expect((err as Error).message).toBe(message);
  });

  it('quotes bytes that are not UTF-8 as Go does', () => {
    const err = thrown(() => parseUrl(toByteString('/%zé'))) as UrlParseError;
    expect(err.message).toBe('parse "/%zé": invalid URL escape "%z\\xc3"');
    expect([err.url, err.reason]).toEqual([toByteString('/%zé'), 'invalid URL escape "%z\\xc3"']);
  });

  it('quotes runes Go cannot print with \\u and \\U', () => {
    expect((thrown(() => parseUrl('/\xc2\x85%zz')) as Error).message).toBe(
      'parse "/\\u0085%zz": invalid URL escape "%zz"',
    );
    expect((thrown(() => parseUrl('/\u{E0001}\t')) as Error).message).toBe(
      'parse "/\\U000e0001\\t": net/url: invalid control character in URL',
    );
  });

  it('rejects a zone escape of a byte a host could not hold', () => {
    expect((thrown(() => parseUrl('http://[fe80::1%25%2F]/')) as Error).message).toBe(
      'parse "http://[fe80::1%25%2F]/": invalid URL escape "%2F"',
    );
  });

  it('rejects bracketed text that is not an IPv6 address', () => {
    expect((thrown(() => parseUrl('http://[v1.x]/')) as Error).message).toMatch(
      /^parse "http:\/\/\[v1\.x\]\/": invalid host: /,
    );
  });
});

describe('formatUrl', () => {
  it.each([
    'http://a/b%2Fc',
    'http://host',
    'http://host/',
    'https://x?',
    'https://user:pw@h:8443/p?q=1#f',
    'mailto:joe@example.com',
    'file:/x',
    'file:///x',
    '//host/p',
    '/p?',
    '/p?a=%zz&b=<c>',
    '#frag',
    '?q',
    'kubelet.log',
    '../a/./b',
    './a:b',
    '/%7e',
    'http://[fe80::1%25en0]:8080/',
    'http://a/b#x%2Fy',
    'http://a/b#c%20d!()*',
    '/proxy/node/node1:10250/$&+,;=@',
  ])('round-trips the canonical %j', (input) => {
    expect(formatUrl(parseUrl(input))).toBe(input);
  });

  it("escapes a path by Go's rules", () => {
    expect(formatUrl(parseUrl('/a b'))).toBe('/a%20b');
    expect(formatUrl(parseUrl('/a<b>(c)'))).toBe('/a%3Cb%3E%28c%29');
    expect(formatUrl({ ...parseUrl('/'), path: "/x!*'" })).toBe('/x%21%2A%27');
  });

  it('keeps a raw path with sub-delims Go would have escaped', () => {
    expect(formatUrl(parseUrl("/x!*'"))).toBe("/x!*'");
  });

  it('drops a raw path that is not validly encoded', () => {
    expect(formatUrl(parseUrl('/a%2F<'))).toBe('/a/%3C');
  });

  it('drops a raw path that no longer decodes to the path', () => {
    expect(formatUrl({ ...parseUrl('/a%2Fb'), path: '/c/d' })).toBe('/c/d');
  });

  it('drops an empty fragment and normalizes the hex case of escapes it rewrites', () => {
    expect(formatUrl(parseUrl('http://a/b#'))).toBe('http://a/b');
    expect(formatUrl(parseUrl('/%7e<'))).toBe('/~%3C');
  });

  it('puts ./ before a relative path whose first segment has a colon', () => {
    expect(formatUrl({ ...parseUrl(''), path: 'a:b/c' })).toBe('./a:b/c');
    expect(formatUrl({ ...parseUrl(''), path: 'a/b:c' })).toBe('a/b:c');
  });

  it('adds the slash between a host and a relative path', () => {
    expect(formatUrl({ ...parseUrl('http://h'), path: 'p' })).toBe('http://h/p');
  });

  it('writes // for a scheme with an empty host unless the parse omitted it', () => {
    expect(formatUrl({ ...parseUrl('/p'), scheme: 'https' })).toBe('https:///p');
    expect(formatUrl({ ...parseUrl('/p'), scheme: 'https', omitHost: true })).toBe('https:/p');
  });

  it('escapes the host and userinfo', () => {
    expect(formatUrl({ ...parseUrl('http://x/'), host: 'a b' })).toBe('http://a%20b/');
    expect(
      formatUrl({ ...parseUrl('http://x/'), user: { username: 'a:b', password: 'c@d' } }),
    ).toBe('http://a%3Ab:c%40d@x/');
  });

  it('escapes non-ASCII bytes and characters as UTF-8', () => {
    expect(formatUrl(parseUrl(toByteString('/café')))).toBe('/caf%C3%A9');
    expect(formatUrl(parseUrl('/€'))).toBe('/%E2%82%AC');
    expect(formatUrl(parseUrl('/a%FF'))).toBe('/a%FF');
  });
});

describe('escapePath', () => {
  it('leaves A–Z a–z 0–9 and -_.~$&+,/:;=@ literal', () => {
    const literal = 'AZaz09-_.~$&+,/:;=@';
    expect(escapePath(literal)).toBe(literal);
  });

  it('escapes everything else with upper-case hex', () => {
    expect(escapePath('? #%<>()"\'[]!*\x00\xe9')).toBe(
      '%3F%20%23%25%3C%3E%28%29%22%27%5B%5D%21%2A%00%E9',
    );
  });
});

describe('escapedPath', () => {
  it("reuses the raw path when it is valid and decodes to the path, as Go's EscapedPath", () => {
    expect(escapedPath(parsePath('/a%2fb'))).toBe('/a%2fb');
    expect(escapedPath(parsePath('/logs/log.log%00<script>alert(1)</script>'))).toBe(
      '/logs/log.log%00%3Cscript%3Ealert%281%29%3C/script%3E',
    );
    expect(escapedPath({ path: '*', rawPath: '' })).toBe('*');
  });
});

describe('escapedPath hints', () => {
  it('ignores a raw path or fragment that is not a valid escaping', () => {
    expect(escapedPath({ path: '/a', rawPath: '/%zz' })).toBe('/a');
    expect(formatUrl({ ...parseUrl('/a#x%2Fy'), fragment: 'z' })).toBe('/a#z');
    expect(formatUrl({ ...parseUrl('/a#x%2Fy'), rawFragment: 'x%zz' })).toBe('/a#x/y');
  });
});

describe('parsePath', () => {
  it('throws a UrlParseError for a bad escape', () => {
    const err = thrown(() => parsePath('/a%zz'));
    expect(err).toBeInstanceOf(UrlParseError);
    expect((err as Error).message).toBe('parse "/a%zz": invalid URL escape "%zz"');
  });
});

describe('cleanPath', () => {
  // Go's src/path/path_test.go cleantests.
  it.each([
    ['', '.'],
    ['abc', 'abc'],
    ['abc/def', 'abc/def'],
    ['a/b/c', 'a/b/c'],
    ['.', '.'],
    ['..', '..'],
    ['../..', '../..'],
    ['../../abc', '../../abc'],
    ['/abc', '/abc'],
    ['/', '/'],
    ['abc/', 'abc'],
    ['abc/def/', 'abc/def'],
    ['a/b/c/', 'a/b/c'],
    ['./', '.'],
    ['../', '..'],
    ['../../', '../..'],
    ['/abc/', '/abc'],
    ['abc//def//ghi', 'abc/def/ghi'],
    ['//abc', '/abc'],
    ['///abc', '/abc'],
    ['//abc//', '/abc'],
    ['abc//', 'abc'],
    ['abc/./def', 'abc/def'],
    ['/./abc/def', '/abc/def'],
    ['abc/.', 'abc'],
    ['abc/def/ghi/../jkl', 'abc/def/jkl'],
    ['abc/def/../ghi/../jkl', 'abc/jkl'],
    ['abc/def/..', 'abc'],
    ['abc/def/../..', '.'],
    ['/abc/def/../..', '/'],
    ['abc/def/../../..', '..'],
    ['/abc/def/../../..', '/'],
    ['abc/def/../../../ghi/jkl/../../../mno', '../../mno'],
    ['abc/./../def', 'def'],
    ['abc//./../def', 'def'],
    ['abc/../../././../def', '../../def'],
  ])('cleans %j to %j', (input, output) => {
    expect(cleanPath(input)).toBe(output);
  });
});

describe('joinPath', () => {
  // Go's src/path/path_test.go jointests, plus the joins the rewriting transport makes.
  it.each([
    [[], ''],
    [[''], ''],
    [['a'], 'a'],
    [['a', 'b'], 'a/b'],
    [['a', ''], 'a'],
    [['', 'b'], 'b'],
    [['/', 'a'], '/a'],
    [['/', 'a/b'], '/a/b'],
    [['/', ''], '/'],
    [['//', 'a'], '/a'],
    [['/a', 'b'], '/a/b'],
    [['a/', 'b'], 'a/b'],
    [['a/', ''], 'a'],
    [['', ''], ''],
    [['', '/'], '/'],
    [['/proxy', '/a/../b/'], '/proxy/b'],
    [['/proxy', '/../../x'], '/x'],
    [['/p', '//a//b'], '/p/a/b'],
  ] as [string[], string][])('joins %j to %j', (elems, output) => {
    expect(joinPath(...elems)).toBe(output);
  });
});

describe('toByteString', () => {
  it('gives the UTF-8 bytes of text, one character each, and fromByteString reads them back', () => {
    expect(toByteString('é€')).toBe('\xc3\xa9\xe2\x82\xac');
    expect(fromByteString(toByteString('é€/a b'))).toBe('é€/a b');
  });
});
