// Kubernetes' TestRejectForwardingRedirectsOption (apimachinery upgradeaware_test.go; CVE-2022-3172). The
// backend sets the case's Location, writes its status and `some data`; a raw TCP client sends
// `GET /` with `Connection: close` and reads until the proxy closes, so the body checked is what
// the wire carried and the Content-Length can be compared with it.
import { rawRequest, startProxy, startUpstream } from '../helpers/servers.js';

const REJECTED = 'the backend attempted to redirect this request, which is not permitted';

interface Case {
  name: string;
  reject: boolean;
  backendStatus: number;
  backendLocation?: string;
  expectedStatus: number;
  expectedBody: string;
}

const CASES: Case[] = [
  {
    name: 'reject redirection enabled in proxy, backend server sending 200 response',
    reject: true,
    backendStatus: 200,
    expectedStatus: 200,
    expectedBody: 'some data',
  },
  {
    name: 'reject redirection enabled in proxy, backend server sending 301 response',
    reject: true,
    backendStatus: 301,
    backendLocation: '/',
    expectedStatus: 502,
    expectedBody: REJECTED,
  },
  {
    name: 'reject redirection enabled in proxy, backend server sending 304 response with a location header',
    reject: true,
    backendStatus: 304,
    backendLocation: '/',
    expectedStatus: 502,
    expectedBody: REJECTED,
  },
  {
    name: 'reject redirection enabled in proxy, backend server sending 304 response with no location header',
    reject: true,
    backendStatus: 304,
    expectedStatus: 304,
    expectedBody: '',
  },
  {
    name: 'reject redirection disabled in proxy, backend server sending 200 response',
    reject: false,
    backendStatus: 200,
    expectedStatus: 200,
    expectedBody: 'some data',
  },
  {
    name: 'reject redirection disabled in proxy, backend server sending 301 response',
    reject: false,
    backendStatus: 301,
    backendLocation: '/',
    expectedStatus: 301,
    expectedBody: 'some data',
  },
];

describe('upgradeAware rejectForwardingRedirects (upstream TestRejectForwardingRedirectsOption)', () => {
  it.each(CASES)('$name: answers $expectedStatus', async (tc) => {
    const backend = await startUpstream((_req, res) => {
      res.setHeader('X-Backend', 'yes');
      if (tc.backendLocation !== undefined) res.setHeader('Location', tc.backendLocation);
      res.statusCode = tc.backendStatus;
      res.end('some data');
    });
    const proxy = await startProxy({ location: backend.url, rejectForwardingRedirects: tc.reject });
    try {
      const res = await rawRequest(
        proxy.port,
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(tc.expectedStatus);
      expect(res.body.toString()).toBe(tc.expectedBody);
      expect(res.headers['transfer-encoding']).toBeUndefined();
      // A 304 carries no content, so it needs no Content-Length; every other answer announces its body's length.
      if (tc.expectedStatus === 304) expect(res.headers['content-length'] ?? ['0']).toEqual(['0']);
      else expect(res.headers['content-length']).toEqual([String(res.body.length)]);

      if (tc.expectedStatus === 502) {
        expect(res.body.length).toBe(70);
        expect(res.headers['content-type']).toEqual(['text/plain; charset=utf-8']);
        // The substitute carries none of the backend's headers (Kubernetes' RejectForwardingRedirects).
        expect(res.headers['location']).toBeUndefined();
        expect(res.headers['x-backend']).toBeUndefined();
      } else {
        expect(res.headers['x-backend']).toEqual(['yes']);
        if (tc.backendLocation !== undefined) expect(res.headers['location']).toBeDefined();
      }
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});
