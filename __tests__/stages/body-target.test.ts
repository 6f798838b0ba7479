import { bodyRecoder, readTypes } from '../../lib/stages/body-target.js';
import { useRequestSource } from '../helpers/exchange.js';
import { fakeExchange, fakeResponse } from './fake.js';

const source = useRequestSource();

describe('readTypes', () => {
  const matches = readTypes({ types: ['text/html', 'application/*', 'TEXT/CSS'] }, 'f');

  it.each([
    ['text/html', true],
    ['Text/HTML; charset=utf-8', true],
    [' text/css ;q=1', true],
    ['application/json', true],
    ['application/vnd.api+json', true],
    ['text/plain', false],
    ['text/html-ish', false],
    ['html', false],
    ['', false],
    ['text/html, text/plain', false],
  ])('matches %j: %s', (contentType, expected) => {
    expect(matches(contentType)).toBe(expected);
  });

  it('matches anything given */*', () => {
    expect(readTypes({ types: ['*/*'] }, 'f')('image/png')).toBe(true);
  });

  it.each([
    ['no options', undefined, TypeError],
    ['no types', {}, TypeError],
    ['a string for types', { types: 'text/html' }, TypeError],
    ['an empty list', { types: [] }, RangeError],
    ['a type without a subtype', { types: ['text'] }, TypeError],
    ['a type with parameters', { types: ['text/html; charset=utf-8'] }, TypeError],
    ['a wildcard type with a subtype', { types: ['*/html'] }, TypeError],
  ])('refuses %s, naming the stage', (_what, options, error) => {
    expect(() => readTypes(options, 'transformBody')).toThrow(error);
    expect(() => readTypes(options, 'transformBody')).toThrow(/^transformBody: /);
  });
});

describe('bodyRecoder', () => {
  const html = readTypes({ types: ['text/html'] }, 'f');
  const validators = ['ETag', 'W/"1"', 'Content-MD5', 'x', 'Accept-Ranges', 'bytes'];

  it("picks the body's coding and drops the old bytes' validators", async () => {
    const res = fakeResponse({
      headers: ['Content-Type', 'text/html', 'Content-Encoding', 'gzip', ...validators],
    });
    expect(bodyRecoder(await fakeExchange(source()), res, html)).toBeDefined();
    expect([...res.headers]).toEqual([
      ['Content-Type', 'text/html'],
      ['Content-Encoding', 'gzip'],
    ]);
  });

  it.each([
    ['another type', 'GET', 200, ['Content-Type', 'text/plain']],
    ['no Content-Type', 'GET', 200, []],
    ['a HEAD request', 'HEAD', 200, ['Content-Type', 'text/html']],
    ['204', 'GET', 204, ['Content-Type', 'text/html']],
    ['206', 'GET', 206, ['Content-Type', 'text/html']],
    ['304', 'GET', 304, ['Content-Type', 'text/html']],
    ['an unknown coding', 'GET', 200, ['Content-Type', 'text/html', 'Content-Encoding', 'zstd']],
    [
      'two codings',
      'GET',
      200,
      ['Content-Type', 'text/html', 'Content-Encoding', 'gzip', 'Content-Encoding', 'br'],
    ],
  ])('lets %s pass, its headers untouched', async (_what, method, status, headers) => {
    const res = fakeResponse({ status, headers: [...headers, ...validators] });
    expect(bodyRecoder(await fakeExchange(source(), { method }), res, html)).toBeUndefined();
    expect([...res.headers]).toHaveLength(headers.length / 2 + 3);
  });
});
