// Kubernetes' TestProxyRequestContentLengthAndTransferEncoding (spec section 9.1, T8): a raw
// `POST / HTTP/1.1` with `Connection: close`; the backend must see the body framed as the client
// framed it (a Content-Length kept, a chunked body de-chunked and re-chunked) with
// Content-Encoding and the encoded bytes untouched. Upstream's "no Transfer-Encoding header" is a
// Go-server artifact: a Node backend sees `transfer-encoding: chunked` for the chunked cases.
import { gzipSync } from 'node:zlib';
import { fakeResponder, rawRequest, startProxy, startRecorder } from '../helpers/servers.js';

const SAMPLE = Buffer.from('abcde');
const ZIPPED = gzipSync(SAMPLE);
const PASSED = 'backend passed tests';

/** Chunked framing with one byte per chunk, as upstream's httputil chunked writer is fed. */
function chunk(data: Buffer): Buffer {
  const parts = [...data].map((byte) => Buffer.concat([Buffer.from('1\r\n'), Buffer.of(byte), Buffer.from('\r\n')]));
  return Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
}

interface Case {
  name: string;
  requestHeaders: [string, string][];
  requestBody: Buffer;
  /** Expected backend header values; undefined means absent. */
  expectedHeaders: Record<'content-length' | 'content-encoding' | 'transfer-encoding', string | undefined>;
  expectedBody: Buffer;
}

const CASES: Case[] = [
  {
    name: 'content-length',
    requestHeaders: [['Content-Length', '5']],
    requestBody: SAMPLE,
    expectedHeaders: { 'content-length': '5', 'content-encoding': undefined, 'transfer-encoding': undefined },
    expectedBody: SAMPLE,
  },
  {
    name: 'content-length + gzip content-encoding',
    requestHeaders: [['Content-Length', String(ZIPPED.length)], ['Content-Encoding', 'gzip']],
    requestBody: ZIPPED,
    expectedHeaders: { 'content-length': String(ZIPPED.length), 'content-encoding': 'gzip', 'transfer-encoding': undefined },
    expectedBody: ZIPPED,
  },
  {
    name: 'chunked transfer-encoding',
    requestHeaders: [['Transfer-Encoding', 'chunked']],
    requestBody: chunk(SAMPLE),
    expectedHeaders: { 'content-length': undefined, 'content-encoding': undefined, 'transfer-encoding': 'chunked' },
    expectedBody: SAMPLE,
  },
  {
    name: 'chunked transfer-encoding + gzip content-encoding',
    requestHeaders: [['Content-Encoding', 'gzip'], ['Transfer-Encoding', 'chunked']],
    requestBody: chunk(ZIPPED),
    expectedHeaders: { 'content-length': undefined, 'content-encoding': 'gzip', 'transfer-encoding': 'chunked' },
    expectedBody: ZIPPED,
  },
];

describe('upgradeAware (upstream TestProxyRequestContentLengthAndTransferEncoding)', () => {
  it.each(CASES)('$name: forwards the body with its framing and encoding', async (tc) => {
    const backend = await startRecorder((_req, res) => res.end(PASSED));
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({ location: backend.url, responder });
    try {
      const headers = [...tc.requestHeaders, ['Connection', 'close'], ['Host', `127.0.0.1:${proxy.port}`]];
      const head = 'POST / HTTP/1.1\r\n' + headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') + '\r\n';
      const res = await rawRequest(proxy.port, Buffer.concat([Buffer.from(head, 'latin1'), tc.requestBody]));

      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe(PASSED);
      expect(calls).toHaveLength(0);
      expect(backend.seen).toHaveLength(1);
      const seen = backend.seen[0]!;
      for (const [name, value] of Object.entries(tc.expectedHeaders)) {
        expect([name, seen.headers[name]]).toEqual([name, value]);
      }
      expect(seen.body.equals(tc.expectedBody)).toBe(true);
      if (seen.headers['content-length'] !== undefined) expect(Number(seen.headers['content-length'])).toBe(seen.body.length);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});
