import { removeRequestHeaders, setRequestHeaders } from '../../lib/stages/request-headers.js';
import { useRequestSource } from '../helpers/exchange.js';
import { fakeExchange } from './fake.js';

const source = useRequestSource();

describe('setRequestHeaders', () => {
  it('sets a value, one line per item of a list, and removes a name given null, any case', async () => {
    const ex = await fakeExchange(source(), {
      headers: ['Host', 'b', 'Cookie', 'a=1', 'X-Old', '1', 'cookie', 'b=2', 'Accept', '*/*'],
    });
    const stage = setRequestHeaders({ 'x-old': '2', 'X-Tenant': ['a', 'b'], COOKIE: null });
    expect(await stage(ex)).toBeUndefined();
    expect([...ex.headers]).toEqual([
      ['Host', 'b'],
      ['x-old', '2'],
      ['Accept', '*/*'],
      ['X-Tenant', 'a'],
      ['X-Tenant', 'b'],
    ]);
  });

  it('sets Host to one value', async () => {
    const ex = await fakeExchange(source());
    await setRequestHeaders({ host: 'app.example' })(ex);
    expect(ex.headers.getAll('host')).toEqual(['app.example']);
  });

  it('keeps what it was given at construction, not later changes to the record', async () => {
    const record: Record<string, string> = { 'x-a': '1' };
    const stage = setRequestHeaders(record);
    record['x-a'] = '2';
    record['x-b'] = '3';
    const ex = await fakeExchange(source());
    await stage(ex);
    expect([...ex.headers]).toEqual([
      ['Host', 'backend.local'],
      ['x-a', '1'],
    ]);
  });

  it.each([
    ['not an object', 'x', TypeError],
    ['an array', [['x-a', '1']], TypeError],
    ['a name that is no token', { 'x a': '1' }, TypeError],
    ['a value with a line break', { 'x-a': 'v\r\nX-Injected: 1' }, TypeError],
    ['a value of another type', { 'x-a': 1 }, TypeError],
    ['an empty list', { 'x-a': [] }, RangeError],
    ['Content-Length', { 'Content-Length': '5' }, RangeError],
    ['Transfer-Encoding', { 'transfer-encoding': null }, RangeError],
    ['two Hosts', { host: ['a', 'b'] }, RangeError],
    ['no Host', { host: null }, RangeError],
  ])('refuses %s at construction', (_what, record, error) => {
    expect(() => setRequestHeaders(record as never)).toThrow(error);
    expect(() => setRequestHeaders(record as never)).toThrow(/^setRequestHeaders: /);
  });
});

describe('removeRequestHeaders', () => {
  it('removes every line of each name, any case', async () => {
    const ex = await fakeExchange(source(), {
      headers: ['Host', 'b', 'Cookie', 'a=1', 'Authorization', 'x', 'cookie', 'b=2'],
    });
    await removeRequestHeaders(['COOKIE', 'authorization', 'x-absent'])(ex);
    expect([...ex.headers]).toEqual([['Host', 'b']]);
  });

  it.each([
    ['not an array', 'cookie', TypeError],
    ['a name that is no token', ['a:b'], TypeError],
    ['Host', ['Host'], RangeError],
    ['Content-Length', ['content-length'], RangeError],
  ])('refuses %s at construction', (_what, names, error) => {
    expect(() => removeRequestHeaders(names as never)).toThrow(error);
  });
});
