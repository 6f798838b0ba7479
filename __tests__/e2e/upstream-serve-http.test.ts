// Kubernetes' TestServeHTTP (apimachinery pkg/util/proxy/upgradeaware_test.go; spec section 9.1, T1),
// every case but 7 ("remove CORS headers", rewriting transport) and 9 ("use location host -
// invalid upgrade", the upgrade path). As upstream: the location is the backend URL with the
// case's path, no `useRequestLocation`, no `transport` (so the rewriting transport is on), and a
// fake responder that answers 567 with the error's message.
import http from 'node:http';
import type { ProxyError } from '../../lib/index.js';
import {
  FAKE_STATUS,
  fakeResponder,
  request,
  startProxy,
  startRecorder,
} from '../helpers/servers.js';

const BACKEND_BODY = '<html><head></head><body><a href="/test/path">Hello</a></body></html>';

interface Case {
  name: string;
  behaviour: string;
  method: string;
  requestPath: string;
  expectedPath?: string;
  body?: string;
  params?: Record<string, string>;
  requestHeaders?: Record<string, string>;
  upgradeRequired?: boolean;
  useLocationHost?: boolean;
  appendLocationPath?: boolean;
  expectError?: { code: string; message: string };
}

const CASES: Case[] = [
  {
    name: 'root path, simple get',
    behaviour: 'forwards GET / to the backend root',
    method: 'GET',
    requestPath: '/',
    expectedPath: '/',
  },
  {
    name: 'no upgrade header sent',
    behaviour: 'hands a plain request to the responder when an upgrade is required',
    method: 'GET',
    requestPath: '/',
    upgradeRequired: true,
    expectError: { code: 'ERR_PROXY_UPGRADE_REQUIRED', message: 'Upgrade request required' },
  },
  {
    name: 'simple path, get',
    behaviour: 'forwards GET to the location path',
    method: 'GET',
    requestPath: '/path/to/test',
    expectedPath: '/path/to/test',
  },
  {
    name: 'request params',
    behaviour: 'forwards the query parameters and the POST body intact',
    method: 'POST',
    requestPath: '/some/path/',
    expectedPath: '/some/path/',
    params: { param1: 'value/1', param2: 'value%2' },
    body: 'test request body',
  },
  {
    name: 'request headers',
    behaviour: 'forwards the request headers of a PUT',
    method: 'PUT',
    requestPath: '/some/path',
    expectedPath: '/some/path',
    requestHeaders: { Header1: 'value1', Header2: 'value2' },
  },
  {
    name: 'empty path - slash should be added',
    behaviour: 'reaches the backend root for a location without path',
    method: 'GET',
    requestPath: '',
    expectedPath: '/',
  },
  {
    name: 'use location host',
    behaviour: 'sends the location host as Host with useLocationHost',
    method: 'GET',
    requestPath: '/some/path',
    expectedPath: '/some/path',
    useLocationHost: true,
  },
  {
    name: 'append server path to request path',
    behaviour: 'doubles the location path with appendLocationPath',
    method: 'GET',
    requestPath: '/base',
    expectedPath: '/base/base',
    appendLocationPath: true,
  },
  {
    name: 'append server path to request path with ending slash',
    behaviour: 'doubles a location path ending in a slash with appendLocationPath',
    method: 'GET',
    requestPath: '/base/',
    expectedPath: '/base/base/',
    appendLocationPath: true,
  },
  {
    name: "don't append server path to request path",
    behaviour: 'keeps the location path single without appendLocationPath',
    method: 'GET',
    requestPath: '/base',
    expectedPath: '/base',
  },
];

type Reply = Awaited<ReturnType<typeof request>>;

/** A client that follows redirects as Go's http.Client does (a 301/302/303 after POST becomes GET). */
async function follow(
  url: string,
  init: Parameters<typeof request>[1] = {},
): Promise<Reply & { hops: Reply[] }> {
  const hops: Reply[] = [];
  let current = url;
  let options = init;
  for (;;) {
    const reply = await request(current, options);
    const location = reply.headers.location;
    if (![301, 302, 303, 307, 308].includes(reply.status) || location === undefined)
      return { ...reply, hops };
    if (hops.push(reply) > 10) throw new Error('stopped after 10 redirects');
    current = new URL(location, current).href;
    if (
      reply.status === 303 ||
      (reply.status !== 307 && reply.status !== 308 && options.method === 'POST')
    ) {
      options = { ...options, method: 'GET', body: undefined };
    }
  }
}

function startBackend() {
  return startRecorder((_req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(BACKEND_BODY);
  });
}

describe('upgradeAware (upstream TestServeHTTP)', () => {
  it.each(CASES)('$name: $behaviour', async (tc) => {
    const backend = await startBackend();
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({
      location: backend.url + tc.requestPath,
      upgradeRequired: tc.upgradeRequired ?? false,
      useLocationHost: tc.useLocationHost ?? false,
      appendLocationPath: tc.appendLocationPath ?? false,
      responder,
    });
    try {
      const query = new URLSearchParams(tc.params).toString();
      const res = await follow(proxy.url + tc.requestPath + (query === '' ? '' : '?' + query), {
        method: tc.method,
        headers: tc.requestHeaders,
        body: tc.body,
      });
      const backendHost = `127.0.0.1:${backend.port}`;

      if (tc.expectError) {
        expect(res.status).toBe(FAKE_STATUS);
        expect(res.body.toString()).toBe(tc.expectError.message);
        expect(calls).toHaveLength(1);
        expect((calls[0] as ProxyError).code).toBe(tc.expectError.code);
        expect(calls[0]!.message).toContain(tc.expectError.message);
        expect(backend.seen).toHaveLength(0);
        return;
      }

      expect(backend.seen).toHaveLength(1);
      const seen = backend.seen[0]!;
      // Host: the location's with useLocationHost; otherwise the client's, never the backend's own.
      if (tc.useLocationHost) expect(seen.headers.host).toBe(backendHost);
      else {
        expect(seen.headers.host).not.toBe(backendHost);
        expect(seen.headers.host).toBe(`127.0.0.1:${proxy.port}`);
      }
      expect(seen.method).toBe(tc.method);
      expect(seen.body.toString()).toBe(tc.body ?? '');
      const mark = seen.url.indexOf('?');
      expect(mark === -1 ? seen.url : seen.url.slice(0, mark)).toBe(tc.expectedPath);
      const params = new URLSearchParams(mark === -1 ? '' : seen.url.slice(mark + 1));
      expect(Object.fromEntries(params)).toEqual(tc.params ?? {});
      for (const [name, value] of Object.entries(tc.requestHeaders ?? {})) {
        expect(seen.headers[name.toLowerCase()]).toBe(value);
      }
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html');
      expect(res.body.equals(Buffer.from(BACKEND_BODY))).toBe(true);
      expect(calls).toHaveLength(0);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('empty path - slash should be added: redirects an absolute-form request without path to / and then reaches the backend root', async () => {
    const backend = await startBackend();
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({ location: backend.url, responder });
    try {
      // `GET http://127.0.0.1:PORT HTTP/1.1`: the only request line whose path is empty.
      const first = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: proxy.port, path: proxy.url, agent: false },
          resolve,
        );
        req.on('error', reject);
        req.end();
      });
      first.resume();
      expect(first.statusCode).toBe(301);
      expect(first.headers.location).toBe('/');
      expect(backend.seen).toHaveLength(0);

      const res = await follow(new URL(first.headers.location!, proxy.url).href);
      expect(res.status).toBe(200);
      expect(backend.seen.map((s) => s.url)).toEqual(['/']);
      expect(res.body.toString()).toBe(BACKEND_BODY);
      expect(calls).toHaveLength(0);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});
