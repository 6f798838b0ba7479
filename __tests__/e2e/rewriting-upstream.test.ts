// Kubernetes' tests of the rewriting transport, observed through the middleware with real servers:
// TestServeHTTP case 7 "remove CORS headers" (apimachinery upgradeaware_test.go), TestDefaultProxyTransport (T7) and all
// 21 cases of TestProxyTransport (9.2 T12). Upstream calls the transport directly; here the
// transport's fields come from what Go's handler would have: Scheme and Host from an absolute-form
// request line (`GET http://foo.com/... HTTP/1.1`), PathPrepend from where the proxy is mounted
// (P4). Our documented decisions where they differ: X-Forwarded-Host is the client's Host header
// and X-Forwarded-Proto the connection's (`http`, or `https` over TLS), always set, where
// Kubernetes sets them from the absolute-form target only, and leaves them out otherwise.
import http from 'node:http';
import https from 'node:https';
import { upgradeAware } from '../../lib/index.js';
import type { UpgradeAwareMiddleware } from '../../lib/index.js';
import { makeTls, type TlsFixture } from '../fixtures/tls.js';
import {
  listen,
  rawExchange,
  request,
  startExpress,
  startProxy,
  startRecorder,
} from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

const CORS_CASE_BODY = '<html><head></head><body><a href="/test/path">Hello</a></body></html>';

describe('upgradeAware with the rewriting transport (TestServeHTTP case 7: remove CORS headers)', () => {
  const opened: Running[] = [];
  afterEach(async () => {
    for (const running of opened.splice(0)) await running.close();
  });

  async function corsResponse(transport?: http.Agent) {
    const backend = await startRecorder((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.setHeader('Header1', 'value1');
      res.setHeader('Access-Control-Allow-Origin', 'some.server');
      res.setHeader('Access-Control-Allow-Methods', 'GET');
      res.setHeader('Access-Control-Allow-Headers', 'X-Custom');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Expose-Headers', 'Header1');
      res.setHeader('Access-Control-Max-Age', '600');
      res.end(CORS_CASE_BODY);
    });
    opened.push(backend);
    const proxy = await startProxy(
      transport
        ? { location: `${backend.url}/some/path`, transport }
        : { location: `${backend.url}/some/path` },
    );
    opened.push(proxy);
    const response = await request(`${proxy.url}/some/path`);
    expect(backend.seen.map((s) => s.url)).toEqual(['/some/path']);
    return response;
  }

  it('removes the four Access-Control-Allow-* headers and keeps the others', async () => {
    const { status, headers, body } = await corsResponse();
    expect(status).toBe(200);
    expect(headers['header1']).toBe('value1');
    expect(headers['content-type']).toBe('text/html');
    for (const name of ['origin', 'methods', 'headers', 'credentials'])
      expect(headers[`access-control-allow-${name}`]).toBeUndefined();
    expect(headers['access-control-expose-headers']).toBe('Header1');
    expect(headers['access-control-max-age']).toBe('600');
    // As upstream: the HTML rewrite is an identity for this page.
    expect(body.toString()).toBe(CORS_CASE_BODY);
  });

  it('keeps the CORS headers when the rewriting transport is off (own transport, no wrapTransport)', async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      const { headers } = await corsResponse(agent);
      expect(headers['access-control-allow-origin']).toBe('some.server');
      expect(headers['access-control-allow-methods']).toBe('GET');
    } finally {
      agent.destroy();
    }
  });
});

describe('upgradeAware path prefix without a mount (TestDefaultProxyTransport)', () => {
  // Upstream: defaultProxyTransport(url, nil) for `url` on a handler for `location` gives Scheme
  // `http`, Host `test.server:8080`, PathPrepend `/a/test`. Here the request is `GET url` in
  // absolute form, and the three fields show in the headers the backend gets and in a link.
  const CASES: [
    name: string,
    url: string,
    locationPath: string,
    backendPath: string,
    forwardedUri: string,
  ][] = [
    [
      'simple path',
      'http://test.server:8080/a/test/location',
      '/location',
      '/location',
      '/a/test/location',
    ],
    ['empty path', 'http://test.server:8080/a/test/', '', '/', '/a/test/'],
    ['location ending in slash', 'http://test.server:8080/a/test/', '/', '/', '/a/test/'],
  ];
  let backend: Awaited<ReturnType<typeof startRecorder>>;
  beforeAll(async () => {
    backend = await startRecorder((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end('<a href="/link">link</a><a href="relative">relative</a>');
    });
  });
  afterAll(async () => {
    await backend.close();
  });

  it.each(CASES)(
    '%s: takes scheme and host from the request line and strips the location path off the request path',
    async (_name, url, locationPath, backendPath, forwardedUri) => {
      backend.seen.length = 0;
      const proxy = await startProxy({ location: `${backend.url}${locationPath}` });
      try {
        const response = await rawExchange(
          proxy.port,
          `GET ${url} HTTP/1.1\r\nHost: test.server:8080\r\nConnection: close\r\n\r\n`,
        );
        expect(response.status).toBe(200);
        expect(backend.seen).toHaveLength(1);
        const seen = backend.seen[0]!;
        expect(seen.url).toBe(backendPath);
        expect(seen.headers['x-forwarded-uri']).toBe(forwardedUri);
        expect(seen.headers['x-forwarded-host']).toBe('test.server:8080');
        expect(seen.headers['x-forwarded-proto']).toBe('http');
        expect(response.body.toString()).toBe(
          '<a href="http://test.server:8080/a/test/link">link</a><a href="relative">relative</a>',
        );
      } finally {
        await proxy.close();
      }
    },
  );
});

// TestProxyTransport (apimachinery transport_test.go).
type Transport = 'T' | 'T2' | 'Empty' | 'NoHost' | 'NoScheme';
const PREFIX: Record<Transport, string> = {
  T: '/proxy/node/node1:10250',
  T2: '/proxy/node/node1:8080',
  Empty: '/proxy/node/node1:10250',
  NoHost: '/proxy/node/node1:10250',
  NoScheme: '/proxy/node/node1:10250',
};

interface T12Case {
  name: string;
  transport: Transport;
  /** Path of upstream's sourceURL: the backend path. */
  path: string;
  /** Upstream's sourceURL host, which the backend replaces with its own address. */
  sourceHost?: string;
  reqHost?: string;
  contentType?: string;
  input?: string;
  output?: string;
  redirect?: string;
  location?: string;
  forwardedUri: string;
}

const SCRIPT = '%00<script>alert(1)</script>';
const SCRIPT_ESCAPED = '%00%3Cscript%3Ealert%281%29%3C/script%3E';
const LOGS = '/proxy/node/node1:10250/logs/log.log';
const REDIRECT = '/proxy/node/node1:10250/redirect';
const LINKS = (second: string): string =>
  `<a href="kubelet.log">kubelet.log</a><a href="${second}">google.log</a>`;

const T12: T12Case[] = [
  {
    name: 'normal',
    transport: 'T',
    path: '/logs/log.log',
    input: `<pre>${LINKS('/google.log')}</pre>`,
    output: `<pre>${LINKS('http://foo.com/proxy/node/node1:10250/google.log')}</pre>`,
    forwardedUri: LOGS,
  },
  {
    name: 'full document',
    transport: 'T',
    path: '/logs/log.log',
    input: `<html><header></header><body><pre>${LINKS('/google.log')}</pre></body></html>`,
    output: `<html><header></header><body><pre>${LINKS('http://foo.com/proxy/node/node1:10250/google.log')}</pre></body></html>`,
    forwardedUri: LOGS,
  },
  {
    name: 'trailing slash',
    transport: 'T',
    path: '/logs/log.log',
    input: `<pre>${LINKS('/google.log/')}</pre>`,
    output: `<pre>${LINKS('http://foo.com/proxy/node/node1:10250/google.log/')}</pre>`,
    forwardedUri: LOGS,
  },
  {
    name: 'content-type charset',
    transport: 'T',
    path: '/logs/log.log',
    contentType: 'text/html; charset=utf-8',
    input: `<pre>${LINKS('/google.log')}</pre>`,
    output: `<pre>${LINKS('http://foo.com/proxy/node/node1:10250/google.log')}</pre>`,
    forwardedUri: LOGS,
  },
  {
    name: 'content-type passthrough',
    transport: 'T',
    path: '/logs/log.log',
    contentType: 'text/plain',
    input: `<pre>${LINKS('/google.log')}</pre>`,
    output: `<pre>${LINKS('/google.log')}</pre>`,
    forwardedUri: LOGS,
  },
  {
    name: 'subdir',
    transport: 'T2',
    path: '/whatever/apt/somelog.log',
    input: LINKS('/google.log'),
    output: LINKS('https://foo.com/proxy/node/node1:8080/google.log'),
    forwardedUri: '/proxy/node/node1:8080/whatever/apt/somelog.log',
  },
  {
    name: 'image',
    transport: 'T',
    path: '/',
    input: '<pre><img src="kubernetes.jpg"/><img src="/kubernetes_abs.jpg"/></pre>',
    output:
      '<pre><img src="kubernetes.jpg"/><img src="http://foo.com/proxy/node/node1:10250/kubernetes_abs.jpg"/></pre>',
    forwardedUri: '/proxy/node/node1:10250/',
  },
  {
    name: 'abs',
    transport: 'T',
    path: '/any/path/',
    input: '<script src="http://google.com/kubernetes.js"/>',
    output: '<script src="http://google.com/kubernetes.js"/>',
    forwardedUri: '/proxy/node/node1:10250/any/path/',
  },
  {
    name: 'abs but same host',
    transport: 'T',
    path: '/any/path/',
    input: '<script src="http://mynode.com/kubernetes.js"/>',
    output: '<script src="http://foo.com/proxy/node/node1:10250/kubernetes.js"/>',
    forwardedUri: '/proxy/node/node1:10250/any/path/',
  },
  {
    name: 'redirect rel',
    transport: 'T',
    path: '/redirect',
    redirect: '/redirected/target/',
    location: 'http://foo.com/proxy/node/node1:10250/redirected/target/',
    forwardedUri: REDIRECT,
  },
  {
    name: 'redirect abs same host',
    transport: 'T',
    path: '/redirect',
    redirect: 'http://mynode.com/redirected/target/',
    location: 'http://foo.com/proxy/node/node1:10250/redirected/target/',
    forwardedUri: REDIRECT,
  },
  {
    name: 'redirect abs other host',
    transport: 'T',
    path: '/redirect',
    redirect: 'http://example.com/redirected/target/',
    location: 'http://example.com/redirected/target/',
    forwardedUri: REDIRECT,
  },
  {
    name: 'redirect abs use reqHost no host no scheme',
    transport: 'Empty',
    path: '/redirect',
    reqHost: '10.0.0.1:8001',
    redirect: 'http://10.0.0.1:8001/redirected/target/',
    location: 'http://10.0.0.1:8001/proxy/node/node1:10250/redirected/target/',
    forwardedUri: REDIRECT,
  },
  {
    name: 'source contains the redirect already',
    transport: 'T',
    path: '/logs/log.log',
    sourceHost: 'foo.com',
    input: `<pre>${LINKS('http://foo.com/proxy/node/node1:10250/google.log')}</pre>`,
    output: `<pre>${LINKS('http://foo.com/proxy/node/node1:10250/google.log')}</pre>`,
    forwardedUri: LOGS,
  },
  {
    name: 'no host',
    transport: 'NoHost',
    path: '/logs/log.log',
    input: '<html></html>',
    output: '<html></html>',
    forwardedUri: LOGS,
  },
  {
    name: 'no scheme',
    transport: 'NoScheme',
    path: '/logs/log.log',
    input: '<html></html>',
    output: '<html></html>',
    forwardedUri: LOGS,
  },
  {
    name: 'forwarded URI must be escaped',
    transport: 'T',
    path: `/logs/log.log${SCRIPT}`,
    input: '<html></html>',
    output: '<html></html>',
    forwardedUri: `/proxy/node/node1:10250/logs/log.log${SCRIPT_ESCAPED}`,
  },
  {
    name: 'redirect rel must be escaped',
    transport: 'T',
    path: '/redirect',
    redirect: `/redirected/target/${SCRIPT}/`,
    location: `http://foo.com/proxy/node/node1:10250/redirected/target/${SCRIPT_ESCAPED}/`,
    forwardedUri: REDIRECT,
  },
  {
    name: 'redirect abs same host must be escaped',
    transport: 'T',
    path: '/redirect',
    redirect: `http://mynode.com/redirected/target/${SCRIPT}/`,
    location: `http://foo.com/proxy/node/node1:10250/redirected/target/${SCRIPT_ESCAPED}/`,
    forwardedUri: REDIRECT,
  },
  {
    name: 'redirect abs other host must be escaped',
    transport: 'T',
    path: '/redirect',
    redirect: `http://example.com/redirected/target/${SCRIPT}/`,
    location: `http://example.com/redirected/target/${SCRIPT_ESCAPED}/`,
    forwardedUri: REDIRECT,
  },
  {
    name: 'redirect abs use reqHost no host no scheme must be escaped',
    transport: 'Empty',
    path: '/redirect',
    reqHost: '10.0.0.1:8001',
    redirect: `http://10.0.0.1:8001/redirected/target/${SCRIPT}/`,
    location: `http://10.0.0.1:8001/proxy/node/node1:10250/redirected/target/${SCRIPT_ESCAPED}/`,
    forwardedUri: REDIRECT,
  },
];

/**
 * The request for a case. T and T2 (scheme and host known) are absolute-form request lines, as
 * Go's server fills `req.URL.Scheme`/`Host` only from those. NoHost is an HTTP/1.0 request without
 * Host over TLS; NoScheme and Empty are origin-form, with Host `foo.com` or the case's reqHost.
 */
function requestFor(c: T12Case): string {
  const target = PREFIX[c.transport] + c.path;
  switch (c.transport) {
    case 'T':
      return `GET http://foo.com${target} HTTP/1.1\r\nHost: foo.com\r\nConnection: close\r\n\r\n`;
    case 'T2':
      return `GET https://foo.com${target} HTTP/1.1\r\nHost: foo.com\r\nConnection: close\r\n\r\n`;
    case 'NoHost':
      return `GET ${target} HTTP/1.0\r\n\r\n`;
    case 'NoScheme':
      return `GET ${target} HTTP/1.1\r\nHost: foo.com\r\nConnection: close\r\n\r\n`;
    case 'Empty':
      return `GET ${target} HTTP/1.1\r\nHost: ${c.reqHost}\r\nConnection: close\r\n\r\n`;
  }
}

/**
 * The X-Forwarded-Host/-Proto the backend must see. Upstream: the transport's Host and Scheme, or
 * absent when empty. Ours (documented): Host is the client's Host header, removed when it sent
 * none; Proto is the connection's. So for T and NoHost ours equal upstream's; for T2 the Proto is
 * `http` (the connection is plain, upstream: `https`); for NoScheme and Empty both are set (the
 * client's Host, `http`) where upstream sends neither, or only Host.
 */
function forwardedHostProto(c: T12Case): [host: string | undefined, proto: string] {
  switch (c.transport) {
    case 'T':
    case 'T2':
    case 'NoScheme':
      return ['foo.com', 'http'];
    case 'NoHost':
      return [undefined, 'https'];
    case 'Empty':
      return [c.reqHost, 'http'];
  }
}

/** A backend for one case: it puts its own address where the case names the source host. */
async function t12Backend(c: T12Case) {
  let input = c.input ?? '';
  let redirect = c.redirect ?? '';
  const backend = await startRecorder((_req, res) => {
    if (c.redirect !== undefined) {
      res.writeHead(301, { Location: redirect });
      res.end();
    } else {
      res.setHeader('Content-Type', c.contentType ?? 'text/html');
      res.end(input);
    }
  });
  const own = `127.0.0.1:${backend.port}`;
  const source = c.sourceHost ?? 'mynode.com';
  input = input.replaceAll(source, own);
  redirect = redirect.replaceAll(source, own);
  return backend;
}

/** `express` mounts the proxy where the prefix says (useRequestLocation); `location` puts the path in the location, unmounted. */
type Setup = 'express' | 'location';

async function t12Proxy(
  setup: Setup,
  c: T12Case,
  backendUrl: string,
  tls: TlsFixture | undefined,
): Promise<Running> {
  if (setup === 'express') {
    const proxy = upgradeAware({ location: `${backendUrl}/`, useRequestLocation: true });
    // path-to-regexp reads `:10250` as a parameter; escaped, the mount is the literal path.
    return startExpress([[PREFIX[c.transport].replace(':', '\\:'), proxy]], tls);
  }
  const proxy: UpgradeAwareMiddleware = upgradeAware({ location: backendUrl + c.path });
  const server = tls ? https.createServer(tls, proxy) : http.createServer(proxy);
  const running = await listen(server as http.Server);
  const closeServer = running.close;
  return Object.assign(running, {
    async close() {
      await proxy.close();
      await closeServer();
    },
  });
}

describe.each<[Setup, string]>([
  ['express', 'mounted with app.use(prefix, proxy) and useRequestLocation'],
  ['location', 'unmounted, the backend path given as the location path'],
])('upgradeAware rewriting (TestProxyTransport), %s: %s', (setup) => {
  let tls: TlsFixture;
  beforeAll(() => {
    tls = makeTls();
  });

  it.each(T12.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const backend = await t12Backend(c);
    const overTls = c.transport === 'NoHost';
    const proxy = await t12Proxy(setup, c, backend.url, overTls ? tls : undefined);
    try {
      const response = await rawExchange(proxy.port, requestFor(c), overTls ? { ca: tls.ca } : {});
      expect(backend.seen).toHaveLength(1);
      const seen = backend.seen[0]!;
      expect(seen.url).toBe(c.path);
      expect(seen.headers['x-forwarded-uri']).toBe(c.forwardedUri);
      const [host, proto] = forwardedHostProto(c);
      expect(seen.headers['x-forwarded-host']).toBe(host);
      expect(seen.headers['x-forwarded-proto']).toBe(proto);
      if (c.redirect !== undefined) {
        expect(response.status).toBe(301);
        expect(response.headers['location']).toEqual([c.location]);
      } else {
        expect(response.status).toBe(200);
        expect(response.body.toString('latin1')).toBe(c.output);
      }
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});
