import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError } from '../../lib/errors/proxy-error.js';
import { respond } from '../../lib/errors/respond.js';
import type { ErrorResponderFunction } from '../../lib/types/responder.js';
import { head, options, useRequestSource } from '../helpers/exchange.js';

const sourceOf = useRequestSource();

const GET = head('GET / HTTP/1.1', 'Host: client.example', 'Connection: close');

function withResponder(responder: ErrorResponderFunction) {
  return options({ location: 'http://127.0.0.1:8080', responder });
}

function answer(err: Error, _req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = 418;
  res.end(`custom: ${err.message}`);
}

describe('respond', () => {
  it('hands the error, the request and the response to the responder', async () => {
    const { req, res, response } = await sourceOf().send(GET);
    const responder = jest.fn(answer);
    const err = new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers');
    respond(withResponder(responder), req, res, err);
    expect(responder).toHaveBeenCalledWith(err, req, res);
    const wire = await response();
    expect(wire).toMatch(/^HTTP\/1\.1 418 /);
    expect(wire).toContain('custom: timeout awaiting response headers');
  });

  it('turns a thrown non-Error into a 502 ProxyError', async () => {
    const { req, res } = await sourceOf().send(GET);
    const responder = jest.fn(answer);
    respond(withResponder(responder), req, res, 'plain text');
    const given = responder.mock.calls[0]![0];
    expect(given).toBeInstanceOf(ProxyError);
    expect(given).toMatchObject({
      code: 'ERR_PROXY_BACKEND_UNREACHABLE',
      status: 502,
      message: 'plain text',
    });
  });

  it('falls back to the default responder when the responder throws', async () => {
    const { req, res, response } = await sourceOf().send(GET);
    const throwing = withResponder(() => {
      throw new Error('responder bug');
    });
    expect(() =>
      respond(throwing, req, res, new ProxyError('ERR_PROXY_BODY_CONSUMED', 'body gone')),
    ).not.toThrow();
    const wire = await response();
    expect(wire).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(wire.endsWith('\r\n\r\nbody gone\n')).toBe(true);
    expect(wire).not.toContain('responder bug');
  });

  it('destroys the connection when the responder throws after starting the response', async () => {
    const { req, res, response } = await sourceOf().send(GET);
    const throwing = withResponder((_err, _req, r) => {
      r.writeHead(200, { 'Content-Length': '100' });
      r.write('partial');
      throw new Error('responder bug');
    });
    expect(() => respond(throwing, req, res, new Error('boom'))).not.toThrow();
    expect(res.destroyed).toBe(true);
    expect(await response()).not.toContain('boom');
  });

  it('destroys the connection without calling the responder when the headers were already sent', async () => {
    const { req, res, response } = await sourceOf().send(GET);
    const responder = jest.fn(answer);
    res.writeHead(200, { 'Content-Length': '100' });
    await new Promise((resolve) => res.write('partial', resolve));
    respond(withResponder(responder), req, res, new Error('boom'));
    expect(responder).not.toHaveBeenCalled();
    expect(res.destroyed).toBe(true);
    expect(await response()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('does nothing once the client has gone', async () => {
    const { req, res } = await sourceOf().send(GET);
    const responder = jest.fn(answer);
    res.destroy();
    expect(() => respond(withResponder(responder), req, res, new Error('boom'))).not.toThrow();
    expect(responder).not.toHaveBeenCalled();
  });

  it('discards the rest of an upload it will not forward', async () => {
    const { req, res, client } = await sourceOf().send(
      head('POST / HTTP/1.1', 'Host: client.example', 'Content-Length: 10') + '12345',
    );
    expect(req.complete).toBe(false);
    respond(withResponder(jest.fn()), req, res, new Error('boom'));
    expect(req.readableFlowing).toBe(true);
    const ended = once(req, 'end');
    client.write('67890');
    await ended;
    expect(req.complete).toBe(true);
  });
});
