import type { Exchange } from '../../../lib/http/exchange.js';
import { responseHeaders } from '../../../lib/http/stages/response-headers.js';
import { RequestSource, backendWith, exchangeFor, head } from '../../helpers/exchange.js';

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

describe('responseHeaders', () => {
  it('removes the hop-by-hop headers and keeps the rest', () => {
    const response = backendWith({
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
      responseHeaders(ex, backendWith({ 'transfer-encoding': ['gzip, chunked'] })).headers.get(
        'transfer-encoding',
      ),
    ).toEqual(['gzip, chunked']);
    expect(
      responseHeaders(ex, backendWith({ 'transfer-encoding': ['chunked'] })).headers.get(
        'transfer-encoding',
      ),
    ).toBeUndefined();
  });

  it('keeps Trailer, which announces the trailers forwarded after the body', () => {
    const out = responseHeaders(
      ex,
      backendWith({ trailer: ['X-Sum'], 'transfer-encoding': ['chunked'] }),
    );
    expect(Object.fromEntries(out.headers)).toEqual({ trailer: ['X-Sum'] });
  });

  it('removes the headers named in any Connection line', () => {
    const out = responseHeaders(
      ex,
      backendWith({
        connection: ['X-Private, close', 'x-other'],
        'x-private': ['1'],
        'x-other': ['2'],
        'x-public': ['3'],
      }),
    );
    expect(Object.fromEntries(out.headers)).toEqual({ 'x-public': ['3'] });
  });

  it('keeps Trailer even when Connection names it', () => {
    const out = responseHeaders(ex, backendWith({ connection: ['trailer'], trailer: ['X-Sum'] }));
    expect(Object.fromEntries(out.headers)).toEqual({ trailer: ['X-Sum'] });
  });
});
