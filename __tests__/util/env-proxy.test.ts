// Go's ProxyFromEnvironment rules, from golang.org/x/net/http/httpproxy's proxy_test.go
// (TestProxyForURL and TestUseProxy cases), as proxyFromEnvironment() applies them.
import { proxyFromEnvironment, proxyForOptions } from '../../lib/util/env-proxy.js';

const https = (hostname: string, port = 443) => ({ protocol: 'https:', hostname, port });
const http = (hostname: string, port = 80) => ({ protocol: 'http:', hostname, port });

describe('proxyFromEnvironment', () => {
  it('takes HTTPS_PROXY for https and HTTP_PROXY for http, upper case first', () => {
    const proxyFor = proxyFromEnvironment({
      HTTPS_PROXY: 'https://secure:443',
      https_proxy: 'http://lower:1',
      http_proxy: 'http://plain:3128',
    });
    expect(proxyFor(https('a.io'))?.href).toBe('https://secure/');
    expect(proxyFor(http('a.io'))?.href).toBe('http://plain:3128/');
  });

  it('assumes http:// for host[:port]', () => {
    expect(proxyFromEnvironment({ HTTP_PROXY: 'cache.local:8080' })(http('a.io'))?.href).toBe(
      'http://cache.local:8080/',
    );
  });

  it('does not use HTTP_PROXY for https, nor HTTPS_PROXY for http', () => {
    expect(proxyFromEnvironment({ HTTP_PROXY: 'p:1' })(https('a.io'))).toBeUndefined();
    expect(proxyFromEnvironment({ HTTPS_PROXY: 'p:1' })(http('a.io'))).toBeUndefined();
  });

  it('refuses a socks5 proxy when the middleware is made', () => {
    expect(() => proxyFromEnvironment({ HTTPS_PROXY: 'socks5://p:1080' })).toThrow(TypeError);
  });

  it('never proxies localhost or a loopback address', () => {
    const proxyFor = proxyFromEnvironment({ HTTP_PROXY: 'p:1' });
    for (const host of ['localhost', '127.0.0.1', '127.0.0.2', '::1'])
      expect(proxyFor(http(host))).toBeUndefined();
    expect(proxyFor(http('::2'))).toBeDefined();
  });

  it.each([
    // [NO_PROXY, host, port, proxied]
    ['foobar.com, .barbaz.net', 'barbaz.net', 80, true],
    ['foobar.com, .barbaz.net', 'www.barbaz.net', 80, false],
    ['foobar.com, .barbaz.net', 'foobar.com', 80, false],
    ['foobar.com, .barbaz.net', 'www.foobar.com', 80, false],
    ['foobar.com, .barbaz.net', 'foofoobar.com', 80, true],
    ['*.example.com', 'example.com', 80, true],
    ['*.example.com', 'a.example.com', 80, false],
    ['FOO.com:8080', 'foo.com', 8080, false],
    ['foo.com:8080', 'foo.com', 80, true],
    ['10.0.0.0/8', '10.1.2.3', 80, false],
    ['10.0.0.0/8', '11.1.2.3', 80, true],
    ['2001:db8::/32', '2001:db8::1', 80, false],
    ['192.168.1.1', '192.168.1.1', 80, false],
    ['192.168.1.1:8080', '192.168.1.1', 80, true],
    ['[2001:db8::52:0:1]:443', '2001:db8::52:0:1', 443, false],
    ['*', 'anything.io', 80, false],
    ['bücher.example', 'xn--bcher-kva.example', 80, false],
    [':80, , /x', 'a.io', 80, true],
  ])('NO_PROXY=%j: %s:%d proxied %s', (noProxy, host, port, proxied) => {
    const proxyFor = proxyFromEnvironment({ HTTP_PROXY: 'p:1', no_proxy: noProxy });
    expect(proxyFor(http(host, port)) !== undefined).toBe(proxied);
  });

  it('fails http targets under CGI (REQUEST_METHOD set), where HTTP_PROXY may be a client header', () => {
    const proxyFor = proxyFromEnvironment({
      HTTP_PROXY: 'evil:1',
      HTTPS_PROXY: 'p:1',
      REQUEST_METHOD: 'GET',
    });
    expect(() => proxyFor(http('a.io'))).toThrow(/refusing to use HTTP_PROXY value in CGI/);
    expect(proxyFor(https('a.io'))?.host).toBe('p:1');
  });
});

describe('proxyForOptions', () => {
  it('reads the environment once per options object, and not at all when off', () => {
    const saved = process.env.HTTP_PROXY;
    try {
      process.env.HTTP_PROXY = 'first:1';
      const options = { proxyFromEnvironment: true };
      const proxyFor = proxyForOptions(options);
      process.env.HTTP_PROXY = 'second:1';
      expect(proxyForOptions(options)).toBe(proxyFor);
      expect(proxyFor(http('a.io'))?.host).toBe('first:1');
      expect(proxyForOptions({ proxyFromEnvironment: false })(http('a.io'))).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });
});
