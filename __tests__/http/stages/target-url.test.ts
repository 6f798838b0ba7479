import { targetUrl } from '../../../lib/http/stages/target-url.js';
import { singleJoiningSlash } from '../../../lib/util/url.js';
import type { UpgradeAwareOptions } from '../../../lib/types.js';
import { exchangeFor, head, useRequestSource } from '../../helpers/exchange.js';

const sourceOf = useRequestSource();

type Flags = Omit<UpgradeAwareOptions, 'location'>;

/** Runs the stage on a real request for `requestTarget` and returns what it filled in. */
async function run(location: string, flags: Flags, requestTarget: string, mount?: string) {
  const ex = await exchangeFor(
    sourceOf(),
    head(`GET ${requestTarget} HTTP/1.1`, 'Host: client.example'),
    { location, ...flags },
    mount,
  );
  const answered = targetUrl(ex);
  return { answered, target: ex.target, forwardedPath: ex.forwardedPath };
}

describe('singleJoiningSlash', () => {
  it.each([
    ['/a/', '/b', '/a/b'],
    ['/a', 'b', '/a/b'],
    ['/a/', 'b', '/a/b'],
    ['/a', '/b', '/a/b'],
    ['', '', '/'],
    ['', '/b', '/b'],
    ['/', '', '/'],
  ])('joins %j and %j as %j', (a, b, joined) => {
    expect(singleJoiningSlash(a, b)).toBe(joined);
  });
});

describe('targetUrl', () => {
  const base = 'http://127.0.0.1:8080';

  it('never answers the client itself', async () => {
    const { answered } = await run(`${base}/base`, {}, '/x');
    expect(answered).toBe(false);
  });

  describe('by default', () => {
    it.each([
      ['/base', '/anything/here', '/base', '/base'],
      ['/base', '/anything/', '/base/', '/base/'],
      ['/base', '/a%2F', '/base/', '/base/'],
      ['/base/', '/x', '/base/', '/base/'],
      ['/base/', '/x/', '/base/', '/base/'],
      ['', '/x', '', '/'],
      ['', '/x/', '/', '/'],
    ])(
      'sends location path %j for request %j as %j (target %j)',
      async (path, request, forwarded, target) => {
        const result = await run(`${base}${path}`, {}, request);
        expect(result.forwardedPath).toBe(forwarded);
        expect(result.target).toBe(target);
      },
    );

    it("replaces the location's own query with the request's", async () => {
      expect((await run(`${base}/base?from=location`, {}, '/x?from=request')).target).toBe(
        '/base?from=request',
      );
      expect((await run(`${base}/base?from=location`, {}, '/x')).target).toBe('/base');
    });
  });

  describe('with appendLocationPath', () => {
    it.each([
      ['/base', '/x', '/base/base'],
      ['/base/', '/x', '/base/base/'],
      ['/base', '/x/', '/base/base/'],
      ['', '/x', '/'],
    ])('doubles location path %j for request %j as %j', async (path, request, target) => {
      expect((await run(`${base}${path}`, { appendLocationPath: true }, request)).target).toBe(
        target,
      );
    });
  });

  describe('with useRequestLocation', () => {
    it.each([
      ['/base', '/a/b%2Fc', '/a/b%2Fc'],
      ['', '/', '/'],
      ['/base', '/x/', '/x/'],
    ])('ignores location path %j and sends request %j as %j', async (path, request, target) => {
      const result = await run(`${base}${path}`, { useRequestLocation: true }, request);
      expect(result.target).toBe(target);
      expect(result.forwardedPath).toBe(request);
    });

    it('sends / for the mount root asked without its slash, leaving the forwarded path empty', async () => {
      const result = await run(`${base}/base`, { useRequestLocation: true }, '/proxy', '/proxy');
      expect(result.forwardedPath).toBe('');
      expect(result.target).toBe('/');
    });

    it('sends the path relative to the mount', async () => {
      expect((await run(base, { useRequestLocation: true }, '/proxy/a/b?c', '/proxy')).target).toBe(
        '/a/b?c',
      );
    });
  });

  describe('with useRequestLocation and appendLocationPath', () => {
    it.each([
      ['/', '/api/v1/services/', '/api/v1/services/'],
      ['/base', '/a', '/base/a'],
      ['/base/', '/a', '/base/a'],
      ['/base/', '/a/', '/base/a/'],
      ['/base%2Fx', '/a%2Fb', '/base%2Fx/a%2Fb'],
      ['', '/a', '/a'],
    ])('joins location path %j and request %j as %j', async (path, request, target) => {
      const flags = { useRequestLocation: true, appendLocationPath: true };
      expect((await run(`${base}${path}`, flags, request)).target).toBe(target);
    });
  });

  describe('query', () => {
    it.each([
      ['/x?a=1&b=%41&c=%2F&d&&e==', '/base?a=1&b=%41&c=%2F&d&&e=='],
      ['/x?', '/base?'],
      ['/x?a?b', '/base?a?b'],
      ['/x?q=%zz+%20', '/base?q=%zz+%20'],
      ['/x', '/base'],
    ])('forwards the query of %j byte for byte as %j', async (request, target) => {
      expect((await run(`${base}/base`, {}, request)).target).toBe(target);
    });

    it('forwards the query byte for byte with useRequestLocation', async () => {
      expect((await run(base, { useRequestLocation: true }, '/p%2Fq?x=%2F&y=')).target).toBe(
        '/p%2Fq?x=%2F&y=',
      );
      expect((await run(base, { useRequestLocation: true }, '/p?')).target).toBe('/p?');
    });
  });
});
