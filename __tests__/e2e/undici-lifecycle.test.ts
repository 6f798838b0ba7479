// An undici Dispatcher as `transport` beyond the HTTP path: upgrades go through an
// http.Agent (the middleware's own, or `upgradeTransport.agent`), never through the dispatcher;
// `close()` releases only what the middleware made; and the options accept anything with a
// `dispatch` method while still refusing other objects.
import http from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Agent, Pool } from 'undici';
import type * as undici from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { upgradeAware } from '../../lib/index.js';
import type { UndiciDispatcher } from '../../lib/index.js';
import {
  closedPort,
  listen,
  rawExchange,
  request,
  startProxy,
  startUpstream,
} from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

/** A backend that answers plain requests `plain <url>` and echoes every WebSocket message. */
async function startEchoBackend(): Promise<Running & { handshakes: string[] }> {
  const server = http.createServer((req, res) => res.end(`plain ${req.url}`));
  const wss = new WebSocketServer({ server });
  const handshakes: string[] = [];
  wss.on('connection', (ws, req) => {
    handshakes.push(req.url!);
    ws.on('message', (data: Buffer, binary: boolean) => ws.send(data, { binary }));
  });
  const running = await listen(server);
  const closeServer = running.close;
  return Object.assign(running, {
    handshakes,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await closeServer();
    },
  });
}

/** Opens a WebSocket to `url`; rejects on an error before 'open'. */
async function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  const failed = once(ws, 'error').then(([err]) => {
    throw err as Error;
  });
  await Promise.race([once(ws, 'open'), failed]);
  return ws;
}

/** Sends `text` and resolves with the first message that comes back. */
async function echo(ws: WebSocket, text: string): Promise<string> {
  const answer = once(ws, 'message') as Promise<[Buffer]>;
  ws.send(text);
  return (await answer)[0].toString();
}

describe('upgradeAware upgrades with an undici dispatcher as transport', () => {
  let backend: Running & { handshakes: string[] };
  const sockets: WebSocket[] = [];
  beforeEach(async () => {
    backend = await startEchoBackend();
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    jest.restoreAllMocks();
    await backend.close();
  });

  it('tunnels a WebSocket echo through an http.Agent of its own, never through the dispatcher', async () => {
    const dispatcher = new Agent();
    const dispatches = jest.spyOn(dispatcher, 'dispatch');
    const dials = jest.spyOn(http.Agent.prototype, 'createConnection');
    const proxy = await startProxy({
      location: `${backend.url}/`,
      useRequestLocation: true,
      transport: dispatcher,
    });
    try {
      const ws = await openSocket(`ws://127.0.0.1:${proxy.port}/chat?room=1`);
      sockets.push(ws);
      expect(await echo(ws, 'hello')).toBe('hello');
      expect(await echo(ws, 'again')).toBe('again');
      expect(backend.handshakes).toEqual(['/chat?room=1']);
      expect(proxy.proxy.tunnels).toBe(1);
      expect(dispatches).not.toHaveBeenCalled();
      expect(dials).toHaveBeenCalledTimes(1);
      expect(dials.mock.contexts[0]).toBeInstanceOf(http.Agent);
      // And plain requests of the same proxy still take the dispatcher.
      expect((await request(`${proxy.url}/plain`)).body.toString()).toBe('plain /plain');
      expect(dispatches).toHaveBeenCalledTimes(1);
    } finally {
      await proxy.close();
      await dispatcher.destroy();
    }
  });

  it('dials upgrades through upgradeTransport.agent when one is given', async () => {
    const dispatcher = new Pool(backend.url);
    const agent = new http.Agent();
    const dials = jest.spyOn(agent, 'createConnection');
    const proxy = await startProxy({
      location: `${backend.url}/`,
      useRequestLocation: true,
      transport: dispatcher,
      upgradeTransport: { agent },
    });
    try {
      const ws = await openSocket(`ws://127.0.0.1:${proxy.port}/ws`);
      sockets.push(ws);
      expect(await echo(ws, 'through the given agent')).toBe('through the given agent');
      expect(dials).toHaveBeenCalledTimes(1);
    } finally {
      await proxy.close();
      await dispatcher.destroy();
      agent.destroy();
    }
  });

  it('ends a live tunnel on close()', async () => {
    const dispatcher = new Agent();
    const proxy = await startProxy({ location: `${backend.url}/`, transport: dispatcher });
    try {
      const ws = await openSocket(`ws://127.0.0.1:${proxy.port}/ws`);
      sockets.push(ws);
      expect(await echo(ws, 'x')).toBe('x');
      const closed = once(ws, 'close');
      await proxy.proxy.close();
      await closed;
      expect(proxy.proxy.tunnels).toBe(0);
    } finally {
      await proxy.close();
      await dispatcher.destroy();
    }
  });
});

describe('upgradeAware close() with an undici dispatcher as transport', () => {
  let backend: Running;
  /** The backend socket each request arrived on, by path. */
  const arrivedOn = new Map<string, Socket>();
  beforeEach(async () => {
    backend = await startUpstream((req, res) => {
      arrivedOn.set(req.url!, req.socket);
      req.resume();
      req.on('end', () => res.end(`ok ${req.url}`));
    });
    // Kept-alive connections stay for ten minutes, and undici is told so (`Keep-Alive: timeout=600`):
    // only the proxy's close() may end one here.
    backend.server.keepAliveTimeout = 600_000;
  });
  afterEach(async () => {
    arrivedOn.clear();
    jest.restoreAllMocks();
    await backend.close();
  });

  /** A POST whose client declares trailers: the dispatcher cannot send them, so the middleware's own agent does. */
  async function postWithTrailers(url: string): Promise<number | undefined> {
    const client = http.request(url, {
      method: 'POST',
      agent: false,
      headers: { 'Transfer-Encoding': 'chunked', Trailer: 'X-Sum' },
    });
    client.write('payload');
    client.addTrailers({ 'X-Sum': '1' });
    client.end();
    const [res] = (await once(client, 'response')) as [http.IncomingMessage];
    res.resume();
    await once(res, 'end');
    return res.statusCode;
  }

  it('resolves, leaves the dispatcher usable, and closes the connections of the agent it made', async () => {
    const dispatcher = new Agent();
    const destroy = jest.spyOn(dispatcher, 'destroy');
    const close = jest.spyOn(dispatcher, 'close');
    const proxy = await startProxy({
      location: `${backend.url}/`,
      useRequestLocation: true,
      transport: dispatcher,
    });
    try {
      expect((await request(`${proxy.url}/through-dispatcher`)).status).toBe(200);
      expect(await postWithTrailers(`${proxy.url}/through-own-agent`)).toBe(200);
      const owned = arrivedOn.get('/through-own-agent')!;
      expect(owned).not.toBe(arrivedOn.get('/through-dispatcher'));
      expect(owned.destroyed).toBe(false); // kept alive by the middleware's agent

      await expect(proxy.proxy.close()).resolves.toBeUndefined();

      await waitFor(() => owned.destroyed, "the middleware's own agent to close its connection");
      expect(destroy).not.toHaveBeenCalled();
      expect(close).not.toHaveBeenCalled();
      expect(dispatcher.destroyed).toBe(false);
      const after = await dispatcher.request({
        origin: backend.url,
        path: '/after-close',
        method: 'GET',
      });
      expect([after.statusCode, await after.body.text()]).toEqual([200, 'ok /after-close']);
    } finally {
      await proxy.close();
      await dispatcher.destroy();
    }
  });

  it('closes the connections of the client it made when no transport is given', async () => {
    const proxy = await startProxy({ location: `${backend.url}/`, useRequestLocation: true });
    try {
      expect((await request(`${proxy.url}/default`)).status).toBe(200);
      expect(await postWithTrailers(`${proxy.url}/fallback`)).toBe(200);
      const sockets = [arrivedOn.get('/default')!, arrivedOn.get('/fallback')!];
      expect(sockets.map((socket) => socket.destroyed)).toEqual([false, false]);
      await proxy.proxy.close();
      await waitFor(
        () => sockets.every((socket) => socket.destroyed),
        'the connections of the default client to close',
      );
    } finally {
      await proxy.close();
    }
  });

  it('serves through the same dispatcher from a second proxy after the first was closed', async () => {
    const dispatcher = new Agent();
    const first = await startProxy({
      location: `${backend.url}/`,
      useRequestLocation: true,
      transport: dispatcher,
    });
    const second = await startProxy({
      location: `${backend.url}/`,
      useRequestLocation: true,
      transport: dispatcher,
    });
    try {
      expect((await request(`${first.url}/one`)).status).toBe(200);
      await first.close();
      const res = await request(`${second.url}/two`);
      expect([res.status, res.body.toString()]).toEqual([200, 'ok /two']);
    } finally {
      await first.close();
      await second.close();
      await dispatcher.destroy();
    }
  });

  it('does not destroy an upgradeTransport.agent it was given', async () => {
    const dispatcher = new Agent();
    const agent = new http.Agent({ keepAlive: true });
    const destroyed = jest.spyOn(agent, 'destroy');
    const proxy = await startProxy({
      location: `${backend.url}/`,
      useRequestLocation: true,
      transport: dispatcher,
      upgradeTransport: { agent },
    });
    try {
      await proxy.proxy.close();
      expect(destroyed).not.toHaveBeenCalled();
    } finally {
      await proxy.close();
      await dispatcher.destroy();
      agent.destroy();
    }
  });
});

/** A Dispatcher that is no undici object: it answers every request itself and records what it was asked. */
function fakeDispatcher(): UndiciDispatcher & {
  asked: undici.Dispatcher.DispatchOptions[];
  destroyed: number;
} {
  return {
    asked: [],
    destroyed: 0,
    dispatch(options: object, handler: object): boolean {
      this.asked.push(options as undici.Dispatcher.DispatchOptions);
      const h = handler as undici.Dispatcher.DispatchHandlers;
      h.onConnect!(() => {});
      setImmediate(() => {
        h.onHeaders!(
          203,
          [Buffer.from('X-Fake'), Buffer.from('yes')] as unknown as Buffer[],
          () => {},
          'From The Fake',
        );
        h.onData!(Buffer.from('answered by the fake'));
        h.onComplete!([]);
      });
      return true;
    },
    async destroy() {
      this.destroyed += 1;
    },
  };
}

describe('upgradeAware option `transport` with a dispatcher', () => {
  it('accepts any object with a dispatch function and sends the request through it', async () => {
    const transport = fakeDispatcher();
    const port = await closedPort(); // nothing listens: only the fake can answer
    const proxy = await startProxy({
      location: `http://127.0.0.1:${port}/base/`,
      useRequestLocation: true,
      transport,
    });
    try {
      const res = await rawExchange(
        proxy.port,
        'DELETE /a%2Fb?q=%2F HTTP/1.1\r\nHost: front.example\r\nX-Client: c\r\nConnection: close\r\n\r\n',
      );
      expect(res.head.split('\r\n')[0]).toBe('HTTP/1.1 203 From The Fake');
      expect([res.headers['x-fake'], res.body.toString()]).toEqual([
        ['yes'],
        'answered by the fake',
      ]);
      expect(transport.asked).toHaveLength(1);
      const asked = transport.asked[0]!;
      expect([asked.origin, asked.path, asked.method]).toEqual([
        `http://127.0.0.1:${port}`,
        '/a%2Fb?q=%2F',
        'DELETE',
      ]);
      expect(asked.headers).toEqual(
        expect.arrayContaining(['Host', 'front.example', 'X-Client', 'c']),
      );
    } finally {
      await proxy.close();
    }
    expect(transport.destroyed).toBe(0);
  });

  it.each([
    ['an empty object', {}],
    ['an object whose dispatch is not a function', { dispatch: 'yes', destroy() {} }],
    ['a function', () => {}],
    ['a string', 'undici'],
  ])('refuses %s with a TypeError naming `transport`', (_name, transport) => {
    expect(() =>
      upgradeAware({ location: 'http://127.0.0.1:1/', transport: transport as never }),
    ).toThrow(TypeError);
    expect(() =>
      upgradeAware({ location: 'http://127.0.0.1:1/', transport: transport as never }),
    ).toThrow(/`transport`/);
  });

  it('still checks upgradeTransport.agent against the location when the transport is a dispatcher', async () => {
    const dispatcher = new Agent();
    const agent = new http.Agent();
    try {
      expect(() =>
        upgradeAware({
          location: 'https://127.0.0.1:1/',
          transport: dispatcher,
          upgradeTransport: { agent },
        }),
      ).toThrow(/upgradeTransport\.agent/);
    } finally {
      await dispatcher.destroy();
      agent.destroy();
    }
  });
});
