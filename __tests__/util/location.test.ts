import { parseLocation } from '../../lib/util/location.js';

describe('parseLocation', () => {
  it('gives http to a location without scheme', () => {
    expect(parseLocation('127.0.0.1:8080/base')).toMatchObject({
      protocol: 'http:',
      host: '127.0.0.1:8080',
      hostname: '127.0.0.1',
      port: 8080,
      path: '/base',
      query: '',
      href: 'http://127.0.0.1:8080/base',
    });
  });

  it('gives http to a scheme-relative //host location', () => {
    expect(parseLocation('//backend.example/x')).toMatchObject({
      protocol: 'http:',
      host: 'backend.example',
      port: 80,
      path: '/x',
      href: 'http://backend.example/x',
    });
  });

  it('keeps an empty path empty', () => {
    expect(parseLocation('http://backend.example').path).toBe('');
    expect(parseLocation('http://backend.example?x=1')).toMatchObject({ path: '', query: 'x=1' });
    expect(parseLocation('http://backend.example/').path).toBe('/');
  });

  it('keeps the raw path and query as written', () => {
    const parsed = parseLocation('http://backend.example/a%2Fb/%7euser/./c?x=%41&y=a+b&z&');
    expect(parsed.path).toBe('/a%2Fb/%7euser/./c');
    expect(parsed.query).toBe('x=%41&y=a+b&z&');
  });

  it('drops a fragment', () => {
    expect(parseLocation('http://backend.example/p?q#frag')).toMatchObject({
      path: '/p',
      query: 'q',
    });
    expect(parseLocation('http://backend.example/p#frag?not-a-query')).toMatchObject({
      path: '/p',
      query: '',
    });
  });

  it('removes IPv6 brackets from hostname and keeps them in host', () => {
    expect(parseLocation('http://[::1]:8080/')).toMatchObject({
      host: '[::1]:8080',
      hostname: '::1',
      port: 8080,
    });
    expect(parseLocation('https://[::1]')).toMatchObject({
      host: '[::1]',
      hostname: '::1',
      port: 443,
    });
  });

  it.each([
    ['http://backend.example', 80],
    ['https://backend.example', 443],
    ['http://backend.example:8080', 8080],
    ['https://backend.example:8443/', 8443],
    ['http://backend.example:80', 80],
  ])('finds the port of %s: %i', (location, port) => {
    expect(parseLocation(location).port).toBe(port);
  });

  it('keeps host as written and lower-cases only hostname', () => {
    expect(parseLocation('HTTP://Backend.Example:8080/P')).toMatchObject({
      protocol: 'http:',
      host: 'Backend.Example:8080',
      hostname: 'backend.example',
      path: '/P',
    });
  });

  it('trims surrounding white space', () => {
    expect(parseLocation('  http://backend.example/p \n')).toMatchObject({
      hostname: 'backend.example',
      path: '/p',
    });
  });

  it.each([
    'http://user:secret@backend.example/',
    'http://user@backend.example/',
    'https://:secret@backend.example',
  ])('rejects the credentials in %s', (location) => {
    expect(() => parseLocation(location)).toThrow(RangeError);
    expect(() => parseLocation(location)).toThrow(/credentials/);
  });

  it.each([
    'ftp://backend.example/',
    'ws://backend.example/',
    'file:///etc/passwd',
    'javascript://backend.example/',
  ])('rejects the non-http scheme of %s', (location) => {
    expect(() => parseLocation(location)).toThrow(RangeError);
    expect(() => parseLocation(location)).toThrow(/`location`/);
  });

  it.each(['', '   ', 'http://', 'http://exa mple/', 'http://[::1/'])(
    'rejects %j with a RangeError',
    (location) => {
      expect(() => parseLocation(location)).toThrow(RangeError);
    },
  );

  it.each([42, null, undefined, {}])('rejects %p with a TypeError naming location', (location) => {
    expect(() => parseLocation(location as unknown as string)).toThrow(TypeError);
    expect(() => parseLocation(location as unknown as string)).toThrow(/`location`/);
  });

  it('accepts a URL object and leaves it unchanged', () => {
    const url = new URL('https://backend.example:8443/base%2Fx?q=1');
    const parsed = parseLocation(url);
    expect(parsed).toMatchObject({
      protocol: 'https:',
      host: 'backend.example:8443',
      port: 8443,
      path: '/base%2Fx',
      query: 'q=1',
    });
    expect(url.href).toBe('https://backend.example:8443/base%2Fx?q=1');
    expect(url.pathname).toBe('/base%2Fx');
  });

  it('rejects the credentials of a URL object', () => {
    expect(() => parseLocation(new URL('http://user:secret@backend.example/'))).toThrow(RangeError);
  });

  it('returns a frozen result', () => {
    expect(Object.isFrozen(parseLocation('http://backend.example/'))).toBe(true);
  });
});
