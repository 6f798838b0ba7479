import { rewriteCookies } from '../../lib/stages/rewrite-cookies.js';
import { useRequestSource } from '../helpers/exchange.js';
import { fakeExchange, fakeResponse } from './fake.js';

const source = useRequestSource();

/** The Set-Cookie lines after `options` rewrote `cookies` (other lines kept in place). */
async function rewritten(
  options: Parameters<typeof rewriteCookies>[0],
  ...cookies: string[]
): Promise<string[]> {
  const res = fakeResponse({
    headers: ['Content-Type', 'text/plain', ...cookies.flatMap((c) => ['Set-Cookie', c])],
  });
  await rewriteCookies(options)(await fakeExchange(source()), res);
  expect([...res.headers][0]).toEqual(['Content-Type', 'text/plain']);
  return res.headers.getAll('set-cookie');
}

describe('rewriteCookies', () => {
  it('replaces every Domain given a string, on each Set-Cookie line', async () => {
    expect(
      await rewritten(
        { domain: 'app.example' },
        'a=1; Domain=backend.local; Path=/',
        'b=2; path=/x; domain=.other.local; HttpOnly',
        'c=3; Path=/',
      ),
    ).toEqual([
      'a=1; Domain=app.example; Path=/',
      'b=2; path=/x; domain=app.example; HttpOnly',
      'c=3; Path=/',
    ]);
  });

  it("maps old to new with a record, '*' for the rest; old domains in any case", async () => {
    const options = { domain: { 'Backend.Local': 'app.example', '*': 'fallback.example' } };
    expect(await rewritten(options, 'a=1; Domain=BACKEND.local', 'b=2; Domain=else.local')).toEqual(
      ['a=1; Domain=app.example', 'b=2; Domain=fallback.example'],
    );
  });

  it('leaves a value the record does not name, and one that is only in Object.prototype', async () => {
    expect(
      await rewritten({ domain: { x: 'y' } }, 'a=1; Domain=z', 'b=2; Domain=constructor'),
    ).toEqual(['a=1; Domain=z', 'b=2; Domain=constructor']);
  });

  it("removes the attribute rewritten to ''", async () => {
    expect(
      await rewritten({ domain: '', path: { '/api': '' } }, 'a=1; Domain=x; Path=/api; Secure'),
    ).toEqual(['a=1; Secure']);
  });

  it('rewrites Path exactly as given, and leaves a path in other case', async () => {
    expect(await rewritten({ path: { '/api': '/' } }, 'a=1; Path=/api', 'b=2; Path=/API')).toEqual([
      'a=1; Path=/',
      'b=2; Path=/API',
    ]);
  });

  it('rewrites every Domain attribute of a line: a browser takes the last', async () => {
    expect(
      await rewritten({ domain: 'app.example' }, 'a=1; Domain=x; Domain=evil.example'),
    ).toEqual(['a=1; Domain=app.example; Domain=app.example']);
  });

  it('does not touch a cookie whose value or name only looks like an attribute', async () => {
    expect(await rewritten({ domain: 'n' }, 'domain=x; Path=/', 'a=Domain=x')).toEqual([
      'domain=x; Path=/',
      'a=Domain=x',
    ]);
  });

  it('leaves a response without Set-Cookie as it is', async () => {
    const res = fakeResponse({ headers: ['X-A', '1'] });
    await rewriteCookies({ path: '/' })(await fakeExchange(source()), res);
    expect([...res.headers]).toEqual([['X-A', '1']]);
  });

  it.each([
    ['no options', undefined, TypeError],
    ['neither domain nor path', {}, TypeError],
    ['an unknown option', { domian: 'x' }, TypeError],
    ['a value with a semicolon', { domain: 'a; Secure' }, TypeError],
    ['a value with a line break', { path: { '/': '/\r\nX: 1' } }, TypeError],
    ['a record value of another type', { path: { '/': null } }, TypeError],
    ['a list', { domain: ['a'] }, TypeError],
  ])('refuses %s at construction', (_what, options, error) => {
    expect(() => rewriteCookies(options as never)).toThrow(error);
    expect(() => rewriteCookies(options as never)).toThrow(/^rewriteCookies: /);
  });
});
