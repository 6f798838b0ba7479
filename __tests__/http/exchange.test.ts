import http from 'node:http';
import connect from 'connect';
import express from 'express';
import { createExchange } from '../../lib/http/exchange.js';
import { splitUrl } from '../../lib/util/url.js';
import { RequestSource, head, options } from '../helpers/exchange.js';
import { listen, request } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

const location = 'http://127.0.0.1:8080/base';

describe('splitUrl', () => {
  it.each([
    ['/a/b?x=1', '/a/b', 'x=1'],
    ['/a/b', '/a/b', null],
    ['/a?', '/a', ''],
    ['/a?b?c', '/a', 'b?c'],
    ['/a%2Fb?c=%2F', '/a%2Fb', 'c=%2F'],
    ['/?q', '/', 'q'],
    ['', '', null],
    ['*', '*', null],
  ])('splits %j into path %j and query %j', (url, path, query) => {
    expect(splitUrl(url)).toEqual({ path, query });
  });

  it.each([
    ['http://other.example/p/q?x=1', '/p/q', 'x=1'],
    ['https://other.example:8443/p', '/p', null],
    ['http://other.example', '', null],
    ['http://other.example?x', '', 'x'],
    ['http://other.example/?x=http://third.example/', '/', 'x=http://third.example/'],
  ])('keeps only path and query of the absolute-form target %j', (url, path, query) => {
    expect(splitUrl(url)).toEqual({ path, query });
  });
});

describe('createExchange', () => {
  let source: RequestSource;
  beforeAll(async () => {
    source = await RequestSource.start();
  });
  afterAll(async () => {
    await source.close();
  });

  it('takes path and query from the request and leaves the outgoing fields empty', async () => {
    const { req, res } = await source.send(
      head('GET /a/b%2Fc?x=%41 HTTP/1.1', 'Host: client.example'),
    );
    const resolved = options({ location });
    const ex = createExchange(req, res, resolved);
    expect(ex).toMatchObject({
      path: '/a/b%2Fc',
      query: 'x=%41',
      mount: '',
      target: '',
      forwardedPath: '',
      host: '',
      headers: { raw: [] },
    });
    expect(ex.req).toBe(req);
    expect(ex.res).toBe(res);
    expect(ex.options).toBe(resolved);
  });

  it('uses only path and query of an absolute-form request', async () => {
    const { req, res } = await source.send(
      head('GET http://other.example/p?q HTTP/1.1', 'Host: other.example'),
    );
    expect(createExchange(req, res, options({ location }))).toMatchObject({
      path: '/p',
      query: 'q',
      mount: '',
    });
  });

  it('has no mount when originalUrl equals url', async () => {
    const { req, res } = await source.send(head('GET /x HTTP/1.1', 'Host: client.example'));
    Object.assign(req, { originalUrl: '/x' });
    expect(createExchange(req, res, options({ location }))).toMatchObject({
      path: '/x',
      mount: '',
    });
  });

  it.each([
    ['http://foo.com/proxy/', '/', '/proxy'],
    ['http://foo.com/proxy', '', '/proxy'],
  ])(
    'reads an absolute-form %j at a mount root, which Express leaves as `http://foo.com`, as path %j',
    async (original, path, mount) => {
      const { req, res } = await source.send(head(`GET ${original} HTTP/1.1`, 'Host: foo.com'));
      Object.assign(req, { url: 'http://foo.com', originalUrl: original });
      expect(createExchange(req, res, options({ location }))).toMatchObject({ path, mount });
    },
  );

  it('makes a new exchange for every request', async () => {
    const { req, res } = await source.send(head('GET /x HTTP/1.1', 'Host: client.example'));
    const resolved = options({ location });
    const first = createExchange(req, res, resolved);
    first.headers.append('X-Mine', '1');
    expect(createExchange(req, res, resolved).headers.raw).toEqual([]);
  });

  /** The part of an Express or Connect app used here. */
  interface App extends http.RequestListener {
    use(fn: http.RequestListener): unknown;
    use(mount: string, fn: http.RequestListener): unknown;
  }

  describe.each<[string, () => App]>([
    ['Express', () => express() as unknown as App],
    ['Connect', () => connect() as unknown as App],
  ])('under %s app.use("/proxy")', (_name, makeApp) => {
    let app: Running;
    beforeAll(async () => {
      const resolved = options({ location });
      const server = makeApp();
      const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const { path, query, mount } = createExchange(req, res, resolved);
        res.end(JSON.stringify({ path, query, mount }));
      };
      server.use('/proxy', answer);
      server.use(answer);
      app = await listen(http.createServer(server));
    });
    afterAll(async () => {
      await app.close();
    });

    it.each([
      ['/proxy/x', '/x', null, '/proxy'],
      ['/proxy/x/y?q=1', '/x/y', 'q=1', '/proxy'],
      ['/proxy/', '/', null, '/proxy'],
      ['/proxy', '', null, '/proxy'],
      ['/proxy?q', '', 'q', '/proxy'],
      ['/proxy/a%2Fb', '/a%2Fb', null, '/proxy'],
      ['/x', '/x', null, ''],
    ])('sees %j as path %j, query %j, mount %j', async (url, path, query, mount) => {
      const res = await request(`${app.url}${url}`);
      expect(JSON.parse(res.body.toString())).toEqual({ path, query, mount });
    });
  });
});
