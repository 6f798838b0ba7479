import { ProxyError } from '../../lib/errors/proxy-error.js';
import { defaultResponder, statusOf, toResponder } from '../../lib/errors/responder.js';
import { RequestSource, head } from '../helpers/exchange.js';

let source: RequestSource;
beforeAll(async () => {
  source = await RequestSource.start();
});
afterAll(async () => {
  await source.close();
});

/** A response as it crossed the wire: status line, headers (lower-case names), body. */
function parse(wire: string) {
  const end = wire.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = wire.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { statusLine, headers, body: Buffer.from(wire.slice(end + 4), 'latin1') };
}

const GET = head('GET / HTTP/1.1', 'Host: client.example', 'Connection: close');

describe('statusOf', () => {
  it.each([
    [new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'x'), 504],
    [Object.assign(new Error('x'), { status: 404 }), 404],
    [{ status: 599 }, 599],
    [new Error('x'), 502],
    [{ status: 399 }, 502],
    [{ status: 600 }, 502],
    [{ status: '500' }, 502],
    [null, 502],
    [undefined, 502],
    ['text', 502],
  ])('answers %p with %i', (err, status) => {
    expect(statusOf(err)).toBe(status);
  });
});

describe('defaultResponder', () => {
  it('answers with the error status and a text/plain body of the message and a newline', async () => {
    const { req, res, response } = await source.send(GET);
    defaultResponder.error(
      new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers'),
      req,
      res,
    );
    const { statusLine, headers, body } = parse(await response());
    expect(statusLine).toBe('HTTP/1.1 504 Gateway Timeout');
    expect(headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-length']).toBe(String(body.length));
    expect(body.toString()).toBe('timeout awaiting response headers\n');
  });

  it('answers 502 for an error without status', async () => {
    const { req, res, response } = await source.send(GET);
    defaultResponder.error(new Error('connect ECONNREFUSED 127.0.0.1:1'), req, res);
    const { statusLine, body } = parse(await response());
    expect(statusLine).toBe('HTTP/1.1 502 Bad Gateway');
    expect(body.toString()).toBe('connect ECONNREFUSED 127.0.0.1:1\n');
  });

  it('never shows the stack', async () => {
    const { req, res, response } = await source.send(GET);
    const err = new Error('boom');
    expect(err.stack).toContain('at ');
    defaultResponder.error(err, req, res);
    expect(parse(await response()).body.toString()).toBe('boom\n');
  });

  it('counts Content-Length in bytes', async () => {
    const { req, res, response } = await source.send(GET);
    defaultResponder.error(new Error('héllo ✓'), req, res);
    const { headers, body } = parse(await response());
    expect(body.toString('utf8')).toBe('héllo ✓\n');
    expect(headers['content-length']).toBe(String(Buffer.byteLength('héllo ✓\n')));
  });

  it('drops the headers set before the error', async () => {
    const { req, res, response } = await source.send(GET);
    res.setHeader('Set-Cookie', 'session=1');
    res.setHeader('Content-Type', 'application/json');
    defaultResponder.error(new Error('boom'), req, res);
    const { headers } = parse(await response());
    expect(headers['set-cookie']).toBeUndefined();
    expect(headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('destroys the connection when the headers were already sent', async () => {
    const { req, res, response } = await source.send(GET);
    res.writeHead(200, { 'Content-Length': '100' });
    await new Promise((resolve) => res.write('partial', resolve));
    defaultResponder.error(new Error('boom'), req, res);
    expect(res.destroyed).toBe(true);
    const wire = await response();
    expect(wire).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(wire.endsWith('\r\n\r\npartial')).toBe(true);
    expect(wire).not.toContain('boom');
    expect(wire).not.toContain(' 502 ');
  });
});

describe('toResponder', () => {
  it('wraps a function as the error method', () => {
    const fn = jest.fn();
    const responder = toResponder(fn);
    expect(responder.error).toBe(fn);
  });

  it('returns an object responder as it is', () => {
    const responder = { error: jest.fn() };
    expect(toResponder(responder)).toBe(responder);
  });
});
