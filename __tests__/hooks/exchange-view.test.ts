import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExchangeView, type OutgoingRequest } from '../../lib/hooks/exchange-view.js';
import { HeaderList } from '../../lib/util/header-list.js';
import { parseLocation } from '../../lib/util/location.js';

function outgoing(): OutgoingRequest {
  return {
    method: 'GET',
    target: '/a?b=1',
    headers: new HeaderList(['Host', 'h']),
    location: parseLocation('http://backend:8080/base'),
  };
}

const req = {} as IncomingMessage;

describe('ExchangeView', () => {
  it('reads and writes the outgoing request it views', () => {
    const out = outgoing();
    const view = new ExchangeView(req, () => ({}) as ServerResponse, true, out);
    expect([view.method, view.path, view.location.href, view.isUpgrade, view.req]).toEqual([
      'GET',
      '/a?b=1',
      'http://backend:8080/base',
      true,
      req,
    ]);
    view.method = 'PATCH';
    view.path = '/other?x=%20';
    view.headers.set('x', 'y');
    expect([out.method, out.target, out.headers.get('x')]).toEqual(['PATCH', '/other?x=%20', 'y']);
  });

  it.each([
    ['method', 'GE T'],
    ['method', ''],
    ['path', '/a b'],
    ['path', '/a\r\nX: 1'],
    ['path', ''],
  ])('refuses %s %j with a TypeError, leaving the request as it was', (field, value) => {
    const out = outgoing();
    const view = new ExchangeView(req, () => ({}) as ServerResponse, false, out);
    expect(() => {
      (view as unknown as Record<string, string>)[field] = value;
    }).toThrow(TypeError);
    expect([out.method, out.target]).toEqual(['GET', '/a?b=1']);
  });

  it('makes the response once, on first use, and the location URL once', () => {
    let made = 0;
    const res = {} as ServerResponse;
    const view = new ExchangeView(req, () => (made++, res), false, outgoing());
    expect(made).toBe(0);
    expect([view.res, view.res]).toEqual([res, res]);
    expect(made).toBe(1);
    expect(view.location).toBe(view.location);
  });
});
