// Backends that fail, over every transport kind: a refused connection, a transport that fails
// (Kubernetes' T10, TestErrorPropagation), a reset in the middle of the body, no answer within
// responseHeaderTimeout, and stale keep-alive connections (when that clock starts:
// http-head-timeout.test.ts). The answer differs by kind in one way only: with no `transport` the rewriting
// transport is on, so a failure reads `error trying to reach service: ...` with 503.
import http from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { Dispatcher as UndiciDispatcher } from 'undici';
import { ProxyError } from '../../lib/index.js';
import type { Dispatcher, ErrorResponderFunction } from '../../lib/index.js';
import {
  FAKE_STATUS,
  closedPort,
  connections,
  fakeResponder,
  request,
  startProxy,
  startRecorder,
  startUpstream,
} from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { TRANSPORT_KINDS, through } from '../helpers/transports.js';
import type { TransportKind } from '../helpers/transports.js';
import { waitFor } from '../helpers/wait.js';
import { fetchOutcome } from '../helpers/outcome.js';

const WRAPPED = 'error trying to reach service: ';

/** What the default responder answers: `status` and `message` as text. */
function plain(
  status: number,
  message: string,
): { status: number; contentType: string; body: string } {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${message}\n` };
}

/** The prefix the rewriting transport gives an error message, on the kinds where it is on. */
function prefix(kind: TransportKind): string {
  return kind.rewrites ? WRAPPED : '';
}

/** A proxy over `kind` to `location`; resolves with the answer to one request and closes. */
async function answer(
  kind: TransportKind,
  location: string,
  options: object,
  init: Parameters<typeof request>[1] = {},
) {
  const transport = kind.make(location);
  const proxy = await startProxy({ location, ...transport.options, ...options });
  try {
    const res = await request(`${proxy.url}/x`, init);
    return {
      status: res.status,
      contentType: res.headers['content-type'],
      body: res.body.toString(),
    };
  } finally {
    await proxy.close();
    await transport.release();
  }
}

describe.each(TRANSPORT_KINDS)(
  'upgradeAware over $name with a backend that refuses connections',
  (kind) => {
    let location: string;
    let refused: string;
    beforeEach(async () => {
      const port = await closedPort();
      location = `${kind.protocol}//127.0.0.1:${port}/`;
      refused = `connect ECONNREFUSED 127.0.0.1:${port}`;
    });

    it(`answers ${kind.rewrites ? 503 : 502} with the ECONNREFUSED message`, async () => {
      expect(await answer(kind, location, {})).toEqual(
        plain(kind.rewrites ? 503 : 502, `${prefix(kind)}${refused}`),
      );
    });

    it('answers 503 `error trying to reach service: ...` with wrapTransport', async () => {
      expect(await answer(kind, location, { wrapTransport: true })).toEqual(
        plain(503, `${WRAPPED}${refused}`),
      );
    });

    it('answers a POST with a body the same way', async () => {
      expect(await answer(kind, location, {}, { method: 'POST', body: 'payload' })).toEqual(
        plain(kind.rewrites ? 503 : 502, `${prefix(kind)}${refused}`),
      );
    });

    it('hands the responder an ERR_PROXY_BACKEND_UNREACHABLE ProxyError', async () => {
      const { responder, calls } = fakeResponder();
      const res = await answer(kind, location, { responder });
      expect(res.status).toBe(FAKE_STATUS);
      expect(calls).toHaveLength(1);
      const err = calls[0] as ProxyError;
      expect(err).toBeInstanceOf(ProxyError);
      expect([err.name, err.code, err.status, err.message]).toEqual([
        'ProxyError',
        'ERR_PROXY_BACKEND_UNREACHABLE',
        kind.rewrites ? 503 : 502,
        `${prefix(kind)}${refused}`,
      ]);
    });
  },
);

/** A dispatcher that fails every request with `nasty error`, as undici reports a failure: through `handler.onError`. */
function failingDispatcher(
  when: 'at once' | 'after connecting',
): Dispatcher & { dialed(): number } {
  let dispatched = 0;
  return {
    dialed: () => dispatched,
    dispatch(_options: object, handler: object): boolean {
      dispatched += 1;
      // Called as methods, as undici calls them: a handler may be a class instance.
      const handlers = handler as UndiciDispatcher.DispatchHandlers;
      if (when === 'at once') handlers.onError!(new Error('nasty error'));
      else {
        handlers.onConnect!(() => {});
        setImmediate(() => handlers.onError!(new Error('nasty error')));
      }
      return true;
    },
    async destroy() {},
  };
}

/** An agent whose every connection fails on the first write, like upstream's fakeRT. */
class FailingAgent extends http.Agent {
  #dialed = 0;

  dialed(): number {
    return this.#dialed;
  }

  override createConnection(): Duplex {
    this.#dialed += 1;
    return new Duplex({
      read() {},
      write(_chunk, _encoding, callback) {
        callback(new Error('nasty error'));
      },
    });
  }
}

/** Transports that fail every request with `nasty error`: each client reports a failure its own way. */
const FAILING: [string, () => (Dispatcher | http.Agent) & { dialed(): number }][] = [
  ['an undici Dispatcher failing at once', () => failingDispatcher('at once')],
  ['an undici Dispatcher failing after connecting', () => failingDispatcher('after connecting')],
  ['an http.Agent whose connection fails on the first write', () => new FailingAgent()],
];

describe.each(FAILING)(
  'upgradeAware over %s (upstream TestErrorPropagation, T10)',
  (_name, make) => {
    let backend: Running & { seen: unknown[] };
    let transport: ReturnType<typeof make>;
    beforeEach(async () => {
      backend = await startRecorder();
      transport = make();
    });
    afterEach(async () => {
      await (transport as { destroy(): unknown }).destroy();
      await backend.close();
    });

    it('hands the transport error to the responder as `error trying to reach service: nasty error`', async () => {
      const { responder, calls } = fakeResponder();
      const proxy = await startProxy({
        location: backend.url,
        transport,
        wrapTransport: true,
        responder,
      });
      try {
        const res = await request(proxy.url, { headers: { Connection: 'close' } });
        expect(res.status).toBe(FAKE_STATUS);
        expect(res.body.toString()).toBe('error trying to reach service: nasty error');
        expect(calls).toHaveLength(1);
        const err = calls[0] as ProxyError;
        expect(err.message).toContain('nasty error');
        expect([err.code, err.status]).toEqual(['ERR_PROXY_BACKEND_UNREACHABLE', 503]);
        expect(transport.dialed()).toBe(1);
        expect(backend.seen).toHaveLength(0);
      } finally {
        await proxy.close();
      }
    });

    it('answers 502 `nasty error` with the default responder and no wrapTransport', async () => {
      const proxy = await startProxy({ location: backend.url, transport });
      try {
        const res = await request(proxy.url);
        expect([res.status, res.body.toString()]).toEqual([502, 'nasty error\n']);
      } finally {
        await proxy.close();
      }
    });
  },
);

describe.each(TRANSPORT_KINDS)(
  'upgradeAware over $name with a backend that resets mid-body',
  (kind) => {
    /** Writes the head and part of a body, then destroys the socket once the part has been handed to the kernel. */
    function resetting(headers: http.OutgoingHttpHeaders): http.RequestListener {
      return (_req, res) => {
        res.writeHead(200, headers);
        res.write(Buffer.alloc(1000, 'a'), () => res.socket?.destroy());
      };
    }

    it.each([
      ['a Content-Length body', { 'Content-Length': '100000' }],
      ['a chunked body', {}],
    ])(
      'gives the client a cut-off response, never a complete one, for %s',
      async (_name, headers) => {
        const { proxy, close } = await through(kind, resetting(headers));
        try {
          const outcome = await fetchOutcome(`${proxy.url}/`);
          expect(outcome.ending).not.toBe('complete');
          expect(outcome.bytes).toBeLessThan(100000);
        } finally {
          await close();
        }
      },
    );

    it('destroys the client connection instead of calling the responder once the response started', async () => {
      const responder = jest.fn<void, Parameters<ErrorResponderFunction>>();
      const { proxy, close } = await through(kind, resetting({ 'Content-Length': '100000' }), {
        responder,
      });
      try {
        const outcome = await fetchOutcome(`${proxy.url}/`);
        expect(['response-error', 'truncated', 'request-error']).toContain(outcome.ending);
        // Let any late error handling run before checking the responder stayed out of it.
        await new Promise((resolve) => setImmediate(resolve));
        expect(responder).not.toHaveBeenCalled();
      } finally {
        await close();
      }
    });
  },
);

describe.each(TRANSPORT_KINDS)(
  'upgradeAware over $name with a backend that never answers',
  (kind) => {
    const held: http.ServerResponse[] = [];
    /** A proxy with responseHeaderTimeout 200 to a backend that accepts requests and never answers. */
    function silent(options: object = {}) {
      return through(
        kind,
        (req, res) => {
          req.resume();
          held.push(res);
        },
        { responseHeaderTimeout: 200, ...options },
      );
    }
    afterEach(() => {
      held.length = 0;
    });

    it('answers 504 `timeout awaiting response headers` after responseHeaderTimeout', async () => {
      const { proxy, close } = await silent();
      try {
        const res = await request(`${proxy.url}/slow`);
        expect({
          status: res.status,
          contentType: res.headers['content-type'],
          body: res.body.toString(),
        }).toEqual(plain(504, `${prefix(kind)}timeout awaiting response headers`));
      } finally {
        await close();
      }
    });

    it('keeps the 504 through the rewriting transport, for a POST too', async () => {
      const { proxy, close } = await silent({ wrapTransport: true });
      try {
        const res = await request(`${proxy.url}/slow`, { method: 'POST', body: 'payload' });
        expect({
          status: res.status,
          contentType: res.headers['content-type'],
          body: res.body.toString(),
        }).toEqual(plain(504, `${WRAPPED}timeout awaiting response headers`));
      } finally {
        await close();
      }
    });

    it('hands the responder an ERR_PROXY_BACKEND_TIMEOUT ProxyError with status 504', async () => {
      const { responder, calls } = fakeResponder();
      const { proxy, close } = await silent({ responder });
      try {
        expect((await request(`${proxy.url}/slow`)).status).toBe(FAKE_STATUS);
        expect(calls).toHaveLength(1);
        expect(calls[0]).toBeInstanceOf(ProxyError);
        expect([(calls[0] as ProxyError).code, (calls[0] as ProxyError).status]).toEqual([
          'ERR_PROXY_BACKEND_TIMEOUT',
          504,
        ]);
      } finally {
        await close();
      }
    });

    it('releases the backend connection after the timeout', async () => {
      const { proxy, backend, close } = await silent();
      try {
        expect((await request(`${proxy.url}/slow`)).status).toBe(504);
        await waitFor(
          async () => (await connections(backend.server)) === 0,
          'the backend connection to close',
        );
      } finally {
        await close();
      }
    });
  },
);

// Stale connections are a property of a keep-alive http.Agent with one socket: these scenarios
// configure that agent themselves.
describe('upgradeAware over a keep-alive http.Agent with stale sockets', () => {
  /** A proxy over a keep-alive agent with one socket to a backend answering with `handler`. */
  async function keepAlive(handler: http.RequestListener, useRequestLocation = true) {
    const backend = await startUpstream(handler);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const proxy = await startProxy({
      location: `${backend.url}/`,
      transport: agent,
      useRequestLocation,
    });
    return {
      proxy,
      async close() {
        await proxy.close();
        await backend.close();
        agent.destroy();
      },
    };
  }

  it('succeeds on a second GET when the backend closes every connection after its response', async () => {
    const { proxy, close } = await keepAlive((req, res) =>
      res.end(`hello ${req.url}`, () => req.socket.destroy()),
    );
    try {
      expect((await request(`${proxy.url}/one`)).status).toBe(200);
      const second = await request(`${proxy.url}/two`);
      expect([second.status, second.body.toString()]).toEqual([200, 'hello /two']);
    } finally {
      await close();
    }
  });

  it('retries a GET once on a fresh connection when the reused socket turns out to be closed', async () => {
    const used = new WeakSet<Socket>();
    let dropped = 0;
    const { proxy, close } = await keepAlive((req, res) => {
      if (used.has(req.socket)) {
        dropped++;
        req.socket.destroy(); // as if the idle connection was closed just as the request arrived
        return;
      }
      used.add(req.socket);
      res.end(`hello ${req.url}`);
    });
    try {
      expect((await request(`${proxy.url}/one`)).status).toBe(200);
      const second = await request(`${proxy.url}/two`);
      expect([second.status, second.body.toString()]).toEqual([200, 'hello /two']);
      expect(dropped).toBe(1);
    } finally {
      await close();
    }
  });

  it('does not resend a GET whose answer had begun when its reused socket was reset', async () => {
    const used = new WeakSet<Socket>();
    const urls: (string | undefined)[] = [];
    const { proxy, close } = await keepAlive((req, res) => {
      urls.push(req.url);
      if (req.url === '/two' && used.has(req.socket)) {
        // The head and part of the body, then a reset: the answer had begun, so it is not replayed.
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('partial', () => setImmediate(() => req.socket.resetAndDestroy()));
        return;
      }
      used.add(req.socket);
      res.end(`hello ${req.url}`);
    });
    try {
      expect((await request(`${proxy.url}/one`)).status).toBe(200);
      await request(`${proxy.url}/two`).catch(() => undefined);
      // One socket: a replay of /two would reach the backend before /three does. (Node 22 and
      // later report the reset on the request as well as on the response: where a replay could start.)
      expect((await request(`${proxy.url}/three`)).body.toString()).toBe('hello /three');
      expect(urls).toEqual(['/one', '/two', '/three']);
    } finally {
      await close();
    }
  });

  it('does not resend a request with a body on a fresh connection', async () => {
    const used = new WeakSet<Socket>();
    let dropped = 0;
    let answered = 0;
    const { proxy, close } = await keepAlive((req, res) => {
      if (used.has(req.socket)) {
        dropped++;
        req.socket.destroy();
        return;
      }
      used.add(req.socket);
      answered++;
      req.resume();
      req.on('end', () => res.end('ok'));
    }, false);
    try {
      expect((await request(`${proxy.url}/`, { method: 'POST', body: 'first' })).status).toBe(200);
      expect((await request(`${proxy.url}/`, { method: 'POST', body: 'second' })).status).toBe(502);
      expect([dropped, answered]).toEqual([1, 1]);
    } finally {
      await close();
    }
  });
});
