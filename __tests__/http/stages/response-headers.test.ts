import { Readable } from 'node:stream';
import type { BackendResponse } from '../../../lib/transport/backend-response.js';
import type { Exchange } from '../../../lib/http/exchange.js';
import { responseHeaders } from '../../../lib/http/stages/response-headers.js';
import { RequestSource, exchangeFor, head } from '../../helpers/exchange.js';

let source: RequestSource;
let ex: Exchange;
beforeAll(async () => {
  source = await RequestSource.start();
  ex = await exchangeFor(source, head('GET / HTTP/1.1', 'Host: client.example'), {
    location: 'http://127.0.0.1:8080',
  });
});
afterAll(async () => {
  await source.close();
});

function backend(headers: Record<string, string[]>): BackendResponse {
  return {
    status: 200,
    statusMessage: 'OK',
    headers: new Map(Object.entries(headers)),
    body: Readable.from([]),
    trailers: () => [],
  };
}

describe('responseHeaders', () => {
  it('removes the hop-by-hop headers and keeps the rest', () => {
    const response = backend({
      connection: ['keep-alive'],
      'keep-alive': ['timeout=5'],
      'proxy-connection': ['keep-alive'],
      'proxy-authenticate': ['Basic'],
      'proxy-authorization': ['Basic eDp5'],
      te: ['trailers'],
      'transfer-encoding': ['chunked'],
      upgrade: ['h2c'],
      'content-type': ['text/plain'],
      'set-cookie': ['a=1', 'b=2'],
    });
    const out = responseHeaders(ex, response);
    expect(out).toBe(response);
    expect(Object.fromEntries(out.headers)).toEqual({
      'content-type': ['text/plain'],
      'set-cookie': ['a=1', 'b=2'],
    });
  });

  it('keeps transfer codings other than chunked, which the body still carries', () => {
    expect(
      responseHeaders(ex, backend({ 'transfer-encoding': ['gzip, chunked'] })).headers.get(
        'transfer-encoding',
      ),
    ).toEqual(['gzip, chunked']);
    expect(
      responseHeaders(ex, backend({ 'transfer-encoding': ['chunked'] })).headers.get(
        'transfer-encoding',
      ),
    ).toBeUndefined();
  });

  it('keeps Trailer, which announces the trailers forwarded after the body', () => {
    const out = responseHeaders(
      ex,
      backend({ trailer: ['X-Sum'], 'transfer-encoding': ['chunked'] }),
    );
    expect(Object.fromEntries(out.headers)).toEqual({ trailer: ['X-Sum'] });
  });

  it('removes the headers named in any Connection line', () => {
    const out = responseHeaders(
      ex,
      backend({
        connection: ['X-Private, close', 'x-other'],
        'x-private': ['1'],
        'x-other': ['2'],
        'x-public': ['3'],
      }),
    );
    expect(Object.fromEntries(out.headers)).toEqual({ 'x-public': ['3'] });
  });

  it('keeps Trailer even when Connection names it', () => {
    const out = responseHeaders(ex, backend({ connection: ['trailer'], trailer: ['X-Sum'] }));
    expect(Object.fromEntries(out.headers)).toEqual({ trailer: ['X-Sum'] });
  });
});
