// The transport kinds every HTTP-path scenario runs over, so that a behaviour is written once and
// proved for each client the proxy can use: its own undici Agent (no `transport` option, rewriting
// on), an undici Dispatcher given as `transport`, an http.Agent, and an https.Agent to a TLS
// backend. Use `describe.each(TRANSPORT_KINDS)('over $name', (kind) => ...)`.
import http from 'node:http';
import https from 'node:https';
import { Agent } from 'undici';
import type { Dispatcher as UndiciDispatcher } from 'undici';
import type { Dispatcher, UpgradeAwareOptions } from '../../lib/index.js';
import { makeTls } from '../fixtures/tls.js';
import type { TlsFixture } from '../fixtures/tls.js';
import { listen, startProxy } from './servers.js';
import type { Running } from './servers.js';

/** One kind's transport for one proxy: the options that choose it, a request counter, a cleanup. */
export interface Transport {
  /** Spread into the proxy's options (empty for the default kind). */
  options: Partial<UpgradeAwareOptions>;
  /** Requests the chosen client carried so far (undici dispatches, or requests through the agent). */
  dispatched(): number;
  /** Destroys what this transport made. */
  release(): Promise<void>;
}

/** A way for the proxy to reach its backend. */
export interface TransportKind {
  name: string;
  /** The client of the HTTP path: undici's dispatch API or Node's http.request. */
  client: 'undici' | 'node';
  /** The rewriting transport is on without `wrapTransport`: only when no transport is given. */
  rewrites: boolean;
  /** The backend's scheme, for a `location` of this kind. */
  protocol: 'http:' | 'https:';
  /** Makes the transport for a backend at `origin` (a Pool or Client is bound to one). */
  make(origin: string): Transport;
  /**
   * A backend for this kind serving `handler`: HTTP, or HTTPS with the test CA for the TLS kind.
   * `setup` sees the server before it listens (e.g. to take over 'checkContinue').
   */
  serve(handler: http.RequestListener, setup?: (server: http.Server) => void): Promise<Running>;
}

/** Serves over plain HTTP. */
function serveHttp(
  handler: http.RequestListener,
  setup: (server: http.Server) => void = () => {},
): Promise<Running> {
  const server = http.createServer(handler);
  setup(server);
  return listen(server);
}

/** Counts the requests an http.Agent (or https.Agent) takes: every request through it calls addRequest. */
function agentTransport(agent: http.Agent): Transport {
  const spy = jest.spyOn(
    agent as http.Agent & { addRequest(...args: unknown[]): void },
    'addRequest',
  );
  return {
    options: { transport: agent },
    dispatched: () => spy.mock.calls.length,
    release: async () => agent.destroy(),
  };
}

/** An undici kind made by `create` (Agent, Pool, Client), given as `transport`. */
export function undiciKind(
  name: string,
  create: (origin: string) => UndiciDispatcher,
): TransportKind {
  return {
    name,
    client: 'undici',
    rewrites: false,
    protocol: 'http:',
    make(origin) {
      const dispatcher = create(origin);
      const spy = jest.spyOn(dispatcher, 'dispatch');
      return {
        options: { transport: dispatcher as unknown as Dispatcher },
        dispatched: () => spy.mock.calls.length,
        release: () => dispatcher.destroy(),
      };
    },
    serve: serveHttp,
  };
}

/** The middleware's own undici Agent; its dispatches are counted on undici's Agent class for as long as it lives. */
const DEFAULT_KIND: TransportKind = {
  name: 'the default transport',
  client: 'undici',
  rewrites: true,
  protocol: 'http:',
  make() {
    const spy = jest.spyOn(Agent.prototype, 'dispatch');
    return {
      options: {},
      dispatched: () => spy.mock.calls.length,
      release: async () => spy.mockRestore(),
    };
  },
  serve: serveHttp,
};

const NODE_KIND: TransportKind = {
  name: 'an http.Agent',
  client: 'node',
  rewrites: false,
  protocol: 'http:',
  make: () => agentTransport(new http.Agent()),
  serve: serveHttp,
};

let tls: TlsFixture | undefined;

/** The test CA and certificate, made once per test file on first use. */
function fixture(): TlsFixture {
  return (tls ??= makeTls());
}

const TLS_KIND: TransportKind = {
  name: 'an https.Agent to a TLS backend',
  client: 'node',
  rewrites: false,
  protocol: 'https:',
  make: () => agentTransport(new https.Agent({ ca: fixture().ca })),
  async serve(handler, setup = () => {}) {
    // An https.Server emits the same events as an http.Server; setup() and listen() only need those.
    const server = https.createServer(
      { cert: fixture().cert, key: fixture().key },
      handler,
    ) as unknown as http.Server;
    setup(server);
    const running = await listen(server);
    return Object.assign(running, { url: running.url.replace(/^http:/, 'https:') });
  },
};

/** The kinds whose backend is plain HTTP: for scenarios about heads, paths and rewriting. */
export const CLEARTEXT_KINDS: readonly TransportKind[] = [
  DEFAULT_KIND,
  undiciKind('an undici Agent', () => new Agent()),
  NODE_KIND,
];

/** Every kind, the TLS one included: for scenarios about bodies, timing and failures. */
export const TRANSPORT_KINDS: readonly TransportKind[] = [...CLEARTEXT_KINDS, TLS_KIND];

/** A backend for `kind` serving `handler`, and a proxy in front of it over the kind's transport. */
export interface Through {
  backend: Running;
  proxy: Running;
  /** Requests the kind's client carried so far. */
  dispatched(): number;
  close(): Promise<void>;
}

/**
 * Starts a backend of `kind` with `handler` and a proxy to it (`location: backend/`) over the
 * kind's transport, with `options` on top; `setup` sees the backend server before it listens.
 *
 * @example const { proxy, close } = await through(kind, (_req, res) => res.end('ok'));
 */
export async function through(
  kind: TransportKind,
  handler: http.RequestListener,
  options: Partial<UpgradeAwareOptions> = {},
  setup?: (server: http.Server) => void,
): Promise<Through> {
  const backend = await kind.serve(handler, setup);
  const transport = kind.make(backend.url);
  const proxy = await startProxy({ location: `${backend.url}/`, ...transport.options, ...options });
  return {
    backend,
    proxy,
    dispatched: transport.dispatched,
    async close() {
      await proxy.close();
      await transport.release();
      await backend.close();
    },
  };
}
