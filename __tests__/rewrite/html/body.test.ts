import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { BackendResponse } from '../../../lib/transport/backend-response.js';
import type { Exchange } from '../../../lib/http/exchange.js';
import { rewriteTarget } from '../../../lib/rewrite/forwarded.js';
import { rewriteHtmlBody } from '../../../lib/rewrite/html/body.js';
import { host } from '../../../lib/http/stages/host.js';
import { targetUrl } from '../../../lib/http/stages/target-url.js';
import { exchangeFor, head, useRequestSource } from '../../helpers/exchange.js';

const sourceOf = useRequestSource();

const BACKEND = 'backend.example:8080';

/** `METHOD /proxy/page` mounted at /proxy with useRequestLocation, backend at BACKEND. */
async function mounted(method = 'GET'): Promise<Exchange> {
  const ex = await exchangeFor(
    sourceOf(),
    head(`${method} /proxy/page HTTP/1.1`, 'Host: client.example'),
    { location: `http://${BACKEND}/`, useRequestLocation: true },
    '/proxy',
  );
  targetUrl(ex);
  host(ex);
  return ex;
}

function backend(
  headers: Record<string, string>,
  body: Buffer | string,
  status = 200,
): BackendResponse {
  const map = new Map(Object.entries(headers).map(([name, value]) => [name, [value]]));
  return {
    status,
    statusMessage: '',
    headers: map,
    body: Readable.from([Buffer.from(body)]),
    trailers: () => [],
  };
}

async function read(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Runs rewriteHtmlBody on a GET of `html` with `headers`; resolves with the response and its body. */
async function rewrite(
  headers: Record<string, string>,
  html: Buffer | string,
  status = 200,
  method = 'GET',
) {
  const ex = await mounted(method);
  const response = backend(headers, html, status);
  const original = response.body;
  rewriteHtmlBody(ex, response, rewriteTarget(ex));
  return { response, replaced: response.body !== original, body: await read(response.body) };
}

describe('rewriteHtmlBody', () => {
  it('rewrites the links of a text/html body and drops its Content-Length', async () => {
    const html = '<a href="/a">a</a><img src="/b.png">';
    const { response, replaced, body } = await rewrite(
      { 'content-type': 'text/html', 'content-length': String(html.length) },
      html,
    );
    expect(replaced).toBe(true);
    expect(response.headers.has('content-length')).toBe(false);
    expect(body.toString()).toBe('<a href="/proxy/a">a</a><img src="/proxy/b.png">');
  });

  it.each(['TEXT/HTML', 'Text/Html; charset=UTF-8', '  text/html  ;x=y'])(
    'takes %s as HTML',
    async (contentType) => {
      const { body } = await rewrite({ 'content-type': contentType }, '<a href="/a">');
      expect(body.toString()).toBe('<a href="/proxy/a">');
    },
  );

  it.each([['text/plain'], ['application/xhtml+xml'], ['text/html-sandboxed'], ['']])(
    'leaves a %p body and its Content-Length alone',
    async (contentType) => {
      const headers: Record<string, string> =
        contentType === ''
          ? { 'content-length': '13' }
          : { 'content-type': contentType, 'content-length': '13' };
      const { response, replaced, body } = await rewrite(headers, '<a href="/a">');
      expect(replaced).toBe(false);
      expect(response.headers.get('content-length')).toEqual(['13']);
      expect(body.toString()).toBe('<a href="/a">');
    },
  );

  it.each([
    ['HEAD', 'HEAD', 200],
    ['a 204', 'GET', 204],
    ['a 304', 'GET', 304],
  ])('leaves %s alone, Content-Length and Content-Encoding kept', async (_name, method, status) => {
    const headers = {
      'content-type': 'text/html',
      'content-encoding': 'gzip',
      'content-length': '40',
    };
    const { response, replaced } = await rewrite(headers, '', status, method);
    expect(replaced).toBe(false);
    expect(response.headers.get('content-length')).toEqual(['40']);
    expect(response.headers.get('content-encoding')).toEqual(['gzip']);
  });

  it.each(['compress', 'x-unknown', 'gzip, br'])(
    'leaves a body in %s untouched',
    async (coding) => {
      const { response, replaced, body } = await rewrite(
        { 'content-type': 'text/html', 'content-encoding': coding, 'content-length': '13' },
        '<a href="/a">',
      );
      expect(replaced).toBe(false);
      expect(response.headers.get('content-length')).toEqual(['13']);
      expect(body.toString()).toBe('<a href="/a">');
    },
  );

  it('decodes and re-encodes a gzip body', async () => {
    const { response, body } = await rewrite(
      { 'content-type': 'text/html', 'content-encoding': 'gzip' },
      zlib.gzipSync('<a href="/a">'),
    );
    expect(response.headers.get('content-encoding')).toEqual(['gzip']);
    expect(zlib.gunzipSync(body).toString()).toBe('<a href="/proxy/a">');
  });

  it('keeps the bytes of a link that only escaping would change (P5)', async () => {
    const html =
      '<a href="/proxy/a b">x</a><a href="http://example.com/<c>">y</a><a href="rel ative">z</a>';
    const { body } = await rewrite({ 'content-type': 'text/html' }, html);
    expect(body.toString()).toBe(html);
  });

  it("escapes a rewritten link by Go's rules, non-ASCII as its UTF-8 bytes (P13)", async () => {
    const { body } = await rewrite(
      { 'content-type': 'text/html; charset=utf-8' },
      Buffer.from('<a href="/é/a b(1)">é</a>'),
    );
    expect(body.toString()).toBe('<a href="/proxy/%C3%A9/a%20b%281%29">é</a>');
  });

  it('leaves a value that is not a URL as it is', async () => {
    const html = '<a href="http://[::1">x</a><a href="%zz">y</a><a href="/ok">z</a>';
    const { body } = await rewrite({ 'content-type': 'text/html' }, html);
    expect(body.toString()).toBe(
      '<a href="http://[::1">x</a><a href="%zz">y</a><a href="/proxy/ok">z</a>',
    );
  });

  it("rewrites a link on the backend's host to a path-only one", async () => {
    const { body } = await rewrite(
      { 'content-type': 'text/html' },
      `<a href="http://${BACKEND}/a">`,
    );
    expect(body.toString()).toBe('<a href="/proxy/a">');
  });
});
