import { PassThrough } from 'node:stream';
// Type-level tests of the public API: `npx tsc -p tsconfig.json` checks the `@ts-expect-error`
// lines and the assignments below; jest runs the runtime half of each case.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import { Agent as UndiciAgent, Client as UndiciClient, Pool as UndiciPool } from 'undici';
import { ProxyError, upgradeAware } from '../lib/index.js';
import type {
  Agent,
  Dispatcher,
  ErrorResponder,
  NodeAgent,
  ProxyErrorCode,
  UpgradeAwareMiddleware,
  UpgradeAwareOptions,
  UpgradeRequestInit,
  UndiciDispatcher,
  UpgradeTransport,
} from '../lib/index.js';

const location = 'http://127.0.0.1:1/';

/** Compiles only when `A` and `B` are the same type. */
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

/** Builds a proxy and releases its transport at once. */
async function build(options: UpgradeAwareOptions): Promise<UpgradeAwareMiddleware> {
  const proxy = upgradeAware(options);
  await proxy.close();
  return proxy;
}

describe('upgradeAware options typing', () => {
  it('rejects a misspelled `location` at compile time and at run time', () => {
    expect(() =>
      upgradeAware({
        // @ts-expect-error `locaton` is not an option
        locaton: location,
      }),
    ).toThrow(TypeError);
  });

  it('rejects a misspelled `useRequestLocation` at compile time and at run time', () => {
    expect(() =>
      upgradeAware({
        location,
        // @ts-expect-error `useRequestLocatoin` is not an option
        useRequestLocatoin: true,
      }),
    ).toThrow(/useRequestLocatoin/);
  });

  it('rejects wrong option types at compile time and at run time', () => {
    // @ts-expect-error `location` must be a string or URL
    expect(() => upgradeAware({ location: 8080 })).toThrow(TypeError);
    // @ts-expect-error `flushInterval` is a number of ms
    expect(() => upgradeAware({ location, flushInterval: '200' })).toThrow(TypeError);
    // @ts-expect-error `maxResponseHeaderSize` is a number of bytes
    expect(() => upgradeAware({ location, maxResponseHeaderSize: '1mb' })).toThrow(TypeError);
    // @ts-expect-error `useRequestLocation` is a boolean
    expect(() => upgradeAware({ location, useRequestLocation: 'yes' })).toThrow(TypeError);
    // @ts-expect-error `transport` is an http.Agent or https.Agent
    expect(() => upgradeAware({ location, transport: { keepAlive: true } })).toThrow(TypeError);
    // @ts-expect-error `responder` is a function or an object with `error`
    expect(() => upgradeAware({ location, responder: { handle() {} } })).toThrow(TypeError);
    expect(() =>
      // @ts-expect-error `wrapRequest` is a function
      upgradeAware({ location, upgradeTransport: { wrapRequest: 'Authorization' } }),
    ).toThrow(TypeError);
  });

  it('requires `location`', () => {
    // @ts-expect-error `location` is required
    expect(() => upgradeAware({ useRequestLocation: true })).toThrow(/location/);
  });

  it('accepts a URL object and every documented option', async () => {
    const agent = new http.Agent({ keepAlive: true });
    const full: Required<UpgradeAwareOptions> = {
      location: new URL(location),
      upgradeRequired: false,
      appendLocationPath: false,
      useRequestLocation: true,
      useLocationHost: false,
      transport: agent,
      upgradeTransport: { agent, wrapRequest: async (init) => init, dial: () => new PassThrough() },
      wrapTransport: true,
      flushInterval: -1,
      maxBytesPerSec: 0,
      responder: () => {},
      rejectForwardingRedirects: true,
      responseHeaderTimeout: 0,
      maxResponseHeaderSize: 65536,
      stages: { request: [(ex) => ex.headers.delete('cookie')], response: [] },
      requestBody: (req) => (req as { rawBody?: Buffer }).rawBody,
      connectTimeout: 30_000,
      proxyFromEnvironment: false,
    };
    expect(typeof (await build(full))).toBe('function');
    agent.destroy();
  });
});

describe('upgradeAware transport typing with undici', () => {
  it('accepts an undici Agent, Pool and Client as `transport`, each a `Dispatcher`', async () => {
    const agent = new UndiciAgent();
    const pool = new UndiciPool('http://127.0.0.1:1');
    const client = new UndiciClient('http://127.0.0.1:1');
    const dispatchers: UndiciDispatcher[] = [agent, pool, client];
    try {
      for (const transport of dispatchers) {
        const options: UpgradeAwareOptions = { location, transport, wrapTransport: true };
        expect(typeof (await build(options))).toBe('function');
      }
    } finally {
      await Promise.all(dispatchers.map((d) => d.destroy()));
    }
  });

  it('still rejects a misspelled option next to an undici transport', async () => {
    const transport = new UndiciAgent();
    try {
      expect(() =>
        upgradeAware({
          location,
          transport,
          // @ts-expect-error `wrapTransprot` is not an option
          wrapTransprot: true,
        }),
      ).toThrow(/wrapTransprot/);
    } finally {
      await transport.destroy();
    }
  });

  it('rejects an object without `dispatch` at compile time and at run time', () => {
    // @ts-expect-error neither an http.Agent nor a Dispatcher
    expect(() => upgradeAware({ location, transport: {} })).toThrow(/`transport`/);
    expect(() =>
      // @ts-expect-error `dispatch` must be a function
      upgradeAware({ location, transport: { dispatch: true, destroy: async () => {} } }),
    ).toThrow(/`transport`/);
  });
});

describe('transport type names', () => {
  it('names the two kinds of client NodeAgent and UndiciDispatcher, and keeps Agent and Dispatcher as the same types', async () => {
    assertType<Equals<Agent, NodeAgent>>();
    assertType<Equals<Dispatcher, UndiciDispatcher>>();
    assertType<
      Equals<NonNullable<UpgradeAwareOptions['transport']>, NodeAgent | UndiciDispatcher>
    >();
    assertType<Equals<NonNullable<UpgradeTransport['agent']>, NodeAgent>>();
    const agents: NodeAgent[] = [new http.Agent(), new https.Agent()];
    // @ts-expect-error an undici Agent is a dispatcher, not a NodeAgent
    const wrong: NodeAgent = new UndiciAgent();
    try {
      expect(typeof (await build({ location, transport: agents[0] }))).toBe('function');
      expect(typeof (await build({ location: 'https://127.0.0.1:1/', transport: agents[1] }))).toBe(
        'function',
      );
    } finally {
      for (const agent of agents) agent.destroy();
      await (wrong as unknown as UndiciAgent).destroy();
    }
  });
});

describe('upgradeAware responder typing', () => {
  it('accepts a function responder with typed parameters', async () => {
    const proxy = await build({
      location,
      responder: (err, req, res) => {
        assertType<Equals<typeof err, Error>>();
        assertType<Equals<typeof req, IncomingMessage>>();
        assertType<Equals<typeof res, ServerResponse>>();
        res.end(err.message);
      },
    });
    expect(typeof proxy).toBe('function');
  });

  it('accepts an object responder', async () => {
    const responder: ErrorResponder = {
      error(err, _req, res) {
        res.statusCode = err instanceof ProxyError ? err.status : 502;
        res.end();
      },
    };
    expect(typeof (await build({ location, responder }))).toBe('function');
  });
});

describe('upgradeAware middleware typing', () => {
  it('is accepted by Express 5 app.use with a mount path', async () => {
    const proxy = upgradeAware({ location, useRequestLocation: true });
    const app = express();
    app.use('/proxy', proxy);
    expect(app.router.stack.length).toBeGreaterThan(0);
    await proxy.close();
  });

  it('is accepted by http.createServer and its upgrade listener by server.on("upgrade")', async () => {
    const proxy = upgradeAware({ location });
    const server = http.createServer(proxy);
    server.on('upgrade', proxy.upgrade);
    expect(server.listeners('request')).toContain(proxy);
    expect(server.listeners('upgrade')).toContain(proxy.upgrade);
    assertType<Equals<Parameters<typeof proxy.upgrade>, [IncomingMessage, Duplex, Buffer]>>();
    assertType<Equals<ReturnType<typeof proxy.close>, Promise<void>>>();
    await proxy.close();
  });

  it('types upgradeTransport.wrapRequest as sync or async over UpgradeRequestInit', async () => {
    const sync: UpgradeTransport = {
      wrapRequest: (init) => ({ ...init, headers: { ...init.headers, authorization: 'Bearer t' } }),
    };
    const async: UpgradeTransport = { wrapRequest: async (init) => init };
    // @ts-expect-error wrapRequest must return an UpgradeRequestInit
    const wrong: UpgradeTransport = { wrapRequest: () => 'GET /' };
    const init: UpgradeRequestInit = { method: 'GET', path: '/ws', headers: {} };
    expect(await sync.wrapRequest!(init)).toEqual({
      method: 'GET',
      path: '/ws',
      headers: { authorization: 'Bearer t' },
    });
    expect(await async.wrapRequest!(init)).toBe(init);
    expect(wrong.wrapRequest!(init)).toBe('GET /');
  });
});

describe('ProxyError typing', () => {
  it('takes only known codes and exposes code and status', () => {
    const err = new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers');
    assertType<Equals<typeof err.code, ProxyErrorCode>>();
    assertType<Equals<typeof err.status, number>>();
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ERR_PROXY_BACKEND_TIMEOUT');
    expect(err.status).toBe(504);
    // @ts-expect-error not a ProxyError code
    expect(new ProxyError('ERR_NOT_A_CODE', 'x').code).toBe('ERR_NOT_A_CODE');
  });
});
