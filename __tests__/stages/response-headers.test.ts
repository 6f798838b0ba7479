import { removeResponseHeaders, setResponseHeaders } from '../../lib/stages/response-headers.js';
import { useRequestSource } from '../helpers/exchange.js';
import { fakeExchange, fakeResponse } from './fake.js';

const source = useRequestSource();

describe('setResponseHeaders', () => {
  it("replaces the backend's lines with its own and removes a name given null", async () => {
    const ex = await fakeExchange(source());
    const res = fakeResponse({
      headers: ['Server', 'backend', 'X-Frame-Options', 'ALLOW', 'Content-Type', 'text/plain'],
    });
    const stage = setResponseHeaders({
      'x-frame-options': 'DENY',
      server: null,
      'x-a': ['1', '2'],
    });
    expect(await stage(ex, res)).toBeUndefined();
    expect([...res.headers]).toEqual([
      ['x-frame-options', 'DENY'],
      ['Content-Type', 'text/plain'],
      ['x-a', '1'],
      ['x-a', '2'],
    ]);
  });

  it('removes a header the application set on the response, given null', async () => {
    const ex = await fakeExchange(source());
    ex.res.setHeader('X-Powered-By', 'Express');
    await setResponseHeaders({ 'x-powered-by': null })(ex, fakeResponse());
    expect(ex.res.getHeader('x-powered-by')).toBeUndefined();
  });

  it.each([
    ['a value with a line break', { 'x-a': 'v\nx' }, TypeError],
    ['Content-Length', { 'content-length': '1' }, RangeError],
  ])('refuses %s at construction', (_what, record, error) => {
    expect(() => setResponseHeaders(record)).toThrow(error);
    expect(() => setResponseHeaders(record)).toThrow(/^setResponseHeaders: /);
  });
});

describe('removeResponseHeaders', () => {
  it("removes the backend's lines and the application's header, any case", async () => {
    const ex = await fakeExchange(source());
    ex.res.setHeader('X-Powered-By', 'Express');
    ex.res.setHeader('X-Kept', 'yes');
    const res = fakeResponse({ headers: ['x-powered-by', 'PHP', 'Server', 'a', 'server', 'b'] });
    await removeResponseHeaders(['X-Powered-By', 'SERVER'])(ex, res);
    expect([...res.headers]).toEqual([]);
    expect(ex.res.getHeaderNames()).toEqual(['x-kept']);
  });

  it('leaves a response whose head has gone out alone', async () => {
    const ex = await fakeExchange(source());
    ex.res.setHeader('X-Powered-By', 'Express');
    ex.res.flushHeaders();
    await removeResponseHeaders(['x-powered-by'])(ex, fakeResponse());
    expect(ex.res.getHeader('x-powered-by')).toBe('Express');
  });

  it.each([
    ['not an array', { names: [] }, TypeError],
    ['Transfer-Encoding', ['Transfer-Encoding'], RangeError],
  ])('refuses %s at construction', (_what, names, error) => {
    expect(() => removeResponseHeaders(names as never)).toThrow(error);
  });
});
