import {
  DEFAULT_HOST_ACCEPT_RE,
  DEFAULT_METHOD_REJECT_RE,
  DEFAULT_PATH_ACCEPT_RE,
  DEFAULT_PATH_REJECT_RE,
  createFilter,
  extractHost,
  matchesAny,
  parseRegexpList,
} from '../../lib/cli/filter.js';

interface Patterns {
  acceptPaths: string;
  rejectPaths: string;
  acceptHosts: string;
  rejectMethods: string;
}

const DEFAULTS: Patterns = {
  acceptPaths: DEFAULT_PATH_ACCEPT_RE,
  rejectPaths: DEFAULT_PATH_REJECT_RE,
  acceptHosts: DEFAULT_HOST_ACCEPT_RE,
  rejectMethods: DEFAULT_METHOD_REJECT_RE,
};

function filterFor(overrides: Partial<Patterns> = {}) {
  const p = { ...DEFAULTS, ...overrides };
  return createFilter({
    acceptPaths: parseRegexpList(p.acceptPaths, '--accept-paths'),
    rejectPaths: parseRegexpList(p.rejectPaths, '--reject-paths'),
    acceptHosts: parseRegexpList(p.acceptHosts, '--accept-hosts'),
    rejectMethods: parseRegexpList(p.rejectMethods, '--reject-methods'),
  });
}

describe('default patterns', () => {
  it("are kubectl proxy's defaults", () => {
    expect(DEFAULT_HOST_ACCEPT_RE).toBe(String.raw`^localhost$,^127\.0\.0\.1$,^\[::1\]$`);
    expect(DEFAULT_PATH_ACCEPT_RE).toBe('^.*');
    expect(DEFAULT_PATH_REJECT_RE).toBe('^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach');
    expect(DEFAULT_METHOD_REJECT_RE).toBe('^$');
  });
});

describe('createFilter', () => {
  const somepod = '/api/v1/namespaces/default/pods/somepod';
  // kubectl proxy_server_test.go TestAccept (there is no test6 upstream).
  const cases: Array<[string, Partial<Patterns>, string, string, string, boolean]> = [
    ['test1', {}, '', '127.0.0.1', 'GET', true],
    ['test2', {}, '/api/v1/pods', '127.0.0.1', 'GET', true],
    ['test3', {}, '/api/v1/pods', 'localhost', 'GET', true],
    ['test4', {}, '/api/v1/namespaces/default/pods/foo', 'localhost', 'GET', true],
    ['test5', {}, '/api/v1/namespaces/default/pods/attachfoo', 'localhost', 'GET', true],
    ['test7', {}, '/api/v1/namespaces/default/pods/execfoo', 'localhost', 'GET', true],
    ['test8', {}, '/api/v1/namespaces/default/pods/foo/exec', '127.0.0.1', 'GET', false],
    ['test9', {}, '/api/v1/namespaces/default/pods/foo/attach', '127.0.0.1', 'GET', false],
    ['test10', {}, '/api/v1/pods', 'evil.com', 'GET', false],
    ['test11', {}, '/api/v1/pods', 'localhost.evil.com', 'GET', false],
    ['test12', {}, '/api/v1/pods', '127a0b0c1', 'GET', false],
    ['test13', {}, '/ui', 'localhost', 'GET', true],
    ['test14', {}, '/api/v1/pods', 'localhost', 'POST', true],
    ['test15', {}, somepod, 'localhost', 'PUT', true],
    ['test16', {}, somepod, 'localhost', 'PATCH', true],
    ['test17', { rejectMethods: 'GET' }, '/api/v1/pods', '127.0.0.1', 'GET', false],
    ['test18', { rejectMethods: 'POST' }, '/api/v1/pods', 'localhost', 'POST', false],
    ['test19', { rejectMethods: 'PUT' }, somepod, 'localhost', 'PUT', false],
    ['test20', { rejectMethods: 'PATCH' }, somepod, 'localhost', 'PATCH', false],
    ['test21', { rejectMethods: 'POST,PUT,PATCH' }, somepod, 'localhost', 'PATCH', false],
    ['test22', { rejectMethods: 'POST,PUT,PATCH' }, somepod, 'localhost', 'PUT', false],
    ['test23', {}, `${somepod}/exec`, 'localhost', 'POST', false],
    ['test24', { rejectPaths: '' }, `${somepod}/exec`, 'localhost', 'POST', true],
  ];

  it('ports all 23 TestAccept cases', () => {
    expect(cases).toHaveLength(23);
  });

  it.each(cases)(
    '%s: accepts or rejects as kubectl does',
    (_name, overrides, path, host, method, expected) => {
      const accept = filterFor(overrides);
      expect(accept({ method, url: path, headers: { host } }, path)).toBe(expected);
    },
  );

  it('accepts [::1]:8001 with the default host patterns (P11)', () => {
    expect(filterFor()({ method: 'GET', headers: { host: '[::1]:8001' } }, '/api/v1/pods')).toBe(
      true,
    );
  });

  it('accepts a loopback host header that carries a port', () => {
    const accept = filterFor();
    expect(accept({ method: 'GET', headers: { host: '127.0.0.1:8001' } }, '/')).toBe(true);
    expect(accept({ method: 'GET', headers: { host: 'localhost:8001' } }, '/')).toBe(true);
    expect(accept({ method: 'GET', headers: { host: 'evil.com:8001' } }, '/')).toBe(false);
  });

  it('rejects a request without a Host header under the default host patterns', () => {
    expect(filterFor()({ method: 'GET', headers: {} }, '/')).toBe(false);
  });

  it('judges the path argument, not req.url', () => {
    const accept = filterFor();
    const exec = '/api/v1/namespaces/default/pods/foo/exec';
    expect(accept({ method: 'GET', url: '/harmless', headers: { host: 'localhost' } }, exec)).toBe(
      false,
    );
    expect(accept({ method: 'GET', url: exec, headers: { host: 'localhost' } }, '/harmless')).toBe(
      true,
    );
  });

  it('lets a reject-path win over an accept-path that also matches', () => {
    const accept = filterFor({ acceptPaths: '^/api/', rejectPaths: '^/api/secret' });
    expect(accept({ method: 'GET', headers: { host: 'localhost' } }, '/api/secret/x')).toBe(false);
    expect(accept({ method: 'GET', headers: { host: 'localhost' } }, '/api/public/x')).toBe(true);
  });

  it('rejects everything when the accept lists are empty', () => {
    const accept = filterFor({ acceptPaths: '' });
    expect(accept({ method: 'GET', headers: { host: 'localhost' } }, '/')).toBe(false);
  });

  // kubectl proxy 1.32's answers for these paths (percent-decoded before the filter sees them): Go's
  // `.` stops at `\n` only, so `\r`, U+2028 and U+2029 in a pod's name are still exec.
  it.each([
    ['web\r', false],
    ['web\u2028', false],
    ['web\u2029', false],
    ['web\n', true],
  ])('judges exec into pod %j as kubectl does (accepted: %s)', (pod, accepted) => {
    const path = `/api/v1/namespaces/default/pods/${pod}/exec`;
    expect(filterFor()({ method: 'GET', headers: { host: 'localhost' } }, path)).toBe(accepted);
  });

  it("takes Go's leading (?i) in --accept-hosts", () => {
    const accept = filterFor({ acceptHosts: '(?i)^localhost$' });
    expect(accept({ method: 'GET', headers: { host: 'LOCALHOST:8001' } }, '/')).toBe(true);
    expect(accept({ method: 'GET', headers: { host: 'evil.com' } }, '/')).toBe(false);
  });
});

describe('matchesAny', () => {
  // kubectl proxy_server_test.go TestRegexpMatch.
  it.each([
    ['foo', 'bar,.*', true],
    ['foo', 'bar,fo.*', true],
    ['bar', 'bar,fo.*', true],
    ['baz', 'bar,fo.*', false],
  ])('matches %s against %s: %s', (value, list, expected) => {
    expect(matchesAny(value, parseRegexpList(list, '--accept-paths'))).toBe(expected);
  });

  it('matches anywhere in the value unless the pattern anchors itself', () => {
    expect(matchesAny('/x/exec/y', [/exec/])).toBe(true);
    expect(matchesAny('/x/exec/y', [/^exec/])).toBe(false);
  });

  it('is false for an empty list', () => {
    expect(matchesAny('anything', [])).toBe(false);
  });
});

describe('extractHost', () => {
  // kubectl proxy_server_test.go TestExtractHost.
  it('strips the port', () => {
    expect(extractHost('localhost:8085')).toBe('localhost');
  });

  it('keeps a host without port whole', () => {
    expect(extractHost('marmalade')).toBe('marmalade');
  });

  it('keeps IPv6 brackets when stripping the port (P11)', () => {
    expect(extractHost('[::1]:8001')).toBe('[::1]');
  });

  it('keeps a bracketed IPv6 host without port as it is', () => {
    expect(extractHost('[::1]')).toBe('[::1]');
  });

  it('strips the port from an IPv4 address', () => {
    expect(extractHost('127.0.0.1:8001')).toBe('127.0.0.1');
  });

  it("returns a value Go's SplitHostPort refuses whole", () => {
    expect(extractHost('::1')).toBe('::1');
    expect(extractHost('[::1]x')).toBe('[::1]x');
  });
});

describe('parseRegexpList', () => {
  it('gives an empty list for an empty string', () => {
    expect(parseRegexpList('', '--reject-paths')).toEqual([]);
  });

  it('splits on commas, one pattern each', () => {
    expect(parseRegexpList('POST,PUT,PATCH', '--reject-methods').map((re) => re.source)).toEqual([
      'POST',
      'PUT',
      'PATCH',
    ]);
  });

  it('throws an error naming the flag and the bad pattern', () => {
    expect(() => parseRegexpList('^/ok,(unclosed', '--accept-paths')).toThrow(
      /--accept-paths.*\(unclosed/,
    );
  });
});
