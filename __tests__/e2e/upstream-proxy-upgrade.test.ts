// Spec 9.1 T2 TestProxyUpgrade: a WebSocket through the proxy (the `ws` client, origin
// http://127.0.0.1/) to a `ws` backend at /hello that insists on the case's Authorization, over
// plain HTTP and over TLS with a CA made at test time. The client asks for /some/path; the proxy
// must still dial the location's own path, /hello (docs/upgrades.md, "Backend path").
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { UpgradeAwareOptions } from '../../lib/index.js';
import { makeTls, type TlsFixture } from '../fixtures/tls.js';
import { listen, startProxy, type Running } from '../helpers/servers.js';

/** What the backend saw of each WebSocket handshake at /hello. */
interface Handshake {
  url: string;
  authorization: string | undefined;
  /** The ALPN protocol the backend's TLS socket negotiated; false when none, undefined over plain HTTP. */
  alpn: string | false | null | undefined;
}

interface Backend extends Running {
  handshakes: Handshake[];
}

/**
 * The upstream test's backend mux: /hello is a WebSocket endpoint that refuses (401) unless
 * Authorization is exactly `auth` (absent when undefined), reads a message and answers
 * `hello ` + it; /redirect is a 302 to /hello. Plain HTTP, or HTTPS with `tls`.
 */
async function startBackend(
  auth: string | undefined,
  tlsOptions?: tls.TlsOptions,
): Promise<Backend> {
  const handler: http.RequestListener = (req, res) => {
    if (req.url === '/redirect') res.writeHead(302, { Location: '/hello' }).end();
    else res.writeHead(404).end();
  };
  const server = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler);
  const wss = new WebSocketServer({ noServer: true });
  const handshakes: Handshake[] = [];
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const alpn = req.socket instanceof tls.TLSSocket ? req.socket.alpnProtocol : undefined;
    handshakes.push({ url: req.url!, authorization: req.headers.authorization, alpn });
    if (req.url !== '/hello' || req.headers.authorization !== auth) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.once('message', (data: Buffer) => ws.send(`hello ${data.toString()}`));
    });
  });
  const running = await listen(server as unknown as http.Server);
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

/** Kubernetes' `noErrorsAllowed`: every call is recorded and the test asserts there were none. */
function noErrorsAllowed(): {
  errors: Error[];
  responder(err: Error, req: http.IncomingMessage, res: http.ServerResponse): void;
} {
  const errors: Error[] = [];
  return {
    errors,
    responder(err, _req, res) {
      errors.push(err);
      res.statusCode = 599;
      res.end(err.message);
    },
  };
}

/** Opens a WebSocket to `url`, sends `world`, and resolves with the first message it receives. */
async function helloWorld(url: string): Promise<string> {
  const ws = new WebSocket(url, { origin: 'http://127.0.0.1/' });
  try {
    const failed = once(ws, 'error').then(([err]) => {
      throw err as Error;
    });
    await Promise.race([once(ws, 'open'), failed]);
    ws.send('world');
    const [data] = (await Promise.race([once(ws, 'message'), failed])) as [Buffer];
    return data.toString();
  } finally {
    ws.terminate();
  }
}

type Dialer = 'plain socket' | 'own TLS socket';

/**
 * An https.Agent with a custom dialer (Go's DialContext): `plain socket` only does TCP, so the
 * proxy must add TLS, verifying with the agent's settings; `own TLS socket` does the TLS itself.
 */
function dialerAgent(options: https.AgentOptions, dialer: Dialer): https.Agent & { dials: number } {
  const agent = Object.assign(new https.Agent(options), { dials: 0 });
  agent.createConnection = (opts: tls.ConnectionOptions & { host: string; port: number }) => {
    agent.dials++;
    return dialer === 'plain socket'
      ? net.connect({ host: opts.host, port: opts.port })
      : tls.connect(opts);
  };
  return agent;
}

describe('TestProxyUpgrade: a WebSocket through upgradeAware.upgrade', () => {
  let full: TlsFixture;
  let exampleOnly: TlsFixture;
  const opened: Running[] = [];
  const agents: http.Agent[] = [];

  beforeAll(() => {
    full = makeTls();
    exampleOnly = makeTls(['example.com']);
  });

  afterEach(async () => {
    for (const running of opened.splice(0)) await running.close();
    for (const agent of agents.splice(0)) agent.destroy();
  });

  /** Runs one case: backend, proxy to `${backend}/hello`, the hello-world exchange. */
  async function run(
    backend: Backend,
    options: Omit<UpgradeAwareOptions, 'location' | 'responder'>,
  ) {
    const responder = noErrorsAllowed();
    const proxy = await startProxy({
      ...options,
      location: `${backend.url.replace('http:', options.transport ? 'https:' : 'http:')}/hello`,
      responder: responder.responder,
    });
    opened.push(proxy, backend);
    const answer = await helloWorld(`ws://127.0.0.1:${proxy.port}/some/path`);
    return { answer, errors: responder.errors, proxy };
  }

  function agent<T extends http.Agent>(made: T): T {
    agents.push(made);
    return made;
  }

  it('http: reaches /hello without an Authorization header', async () => {
    const backend = await startBackend(undefined);
    const { answer, errors } = await run(backend, {});
    expect(answer).toBe('hello world');
    expect(errors).toEqual([]);
    expect(backend.handshakes).toEqual([
      { url: '/hello', authorization: undefined, alpn: undefined },
    ]);
  });

  it('both client and server support h2, but the upgrade is forced to http/1.1', async () => {
    const backend = await startBackend(undefined, {
      cert: full.cert,
      key: full.key,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    const transport = agent(
      new https.Agent({ ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false }),
    );
    const { answer, errors } = await run(backend, { transport });
    expect(answer).toBe('hello world');
    expect(errors).toEqual([]);
    expect(backend.handshakes).toEqual([
      { url: '/hello', authorization: undefined, alpn: 'http/1.1' },
    ]);
  });

  it('https (invalid hostname + rejectUnauthorized: false): dials 127.0.0.1 with a certificate for example.com', async () => {
    const backend = await startBackend(undefined, { cert: exampleOnly.cert, key: exampleOnly.key });
    const transport = agent(new https.Agent({ rejectUnauthorized: false }));
    const { answer, errors } = await run(backend, { transport });
    expect(answer).toBe('hello world');
    expect(errors).toEqual([]);
    expect(backend.handshakes).toHaveLength(1);
  });

  it("https (valid hostname + ca): verifies the backend against the agent's CA", async () => {
    const backend = await startBackend(undefined, { cert: full.cert, key: full.key });
    const transport = agent(new https.Agent({ ca: full.ca }));
    const { answer, errors } = await run(backend, { transport });
    expect(answer).toBe('hello world');
    expect(errors).toEqual([]);
    expect(backend.handshakes).toHaveLength(1);
  });

  it('https without the CA is refused before anything reaches the backend (the check above is real)', async () => {
    const backend = await startBackend(undefined, { cert: full.cert, key: full.key });
    const transport = agent(new https.Agent());
    const responder = noErrorsAllowed();
    const proxy = await startProxy({
      location: `${backend.url.replace('http:', 'https:')}/hello`,
      transport,
      responder: responder.responder,
    });
    opened.push(proxy, backend);
    await expect(helloWorld(`ws://127.0.0.1:${proxy.port}/some/path`)).rejects.toThrow(
      /Unexpected server response: 599/,
    );
    expect(responder.errors).toHaveLength(1);
    expect(responder.errors[0]).toMatchObject({ code: 'ERR_PROXY_DIAL' });
    expect(responder.errors[0]!.message).toMatch(/^error dialing backend: unable to verify/);
    expect(backend.handshakes).toEqual([]);
  });

  it.each<Dialer>(['plain socket', 'own TLS socket'])(
    'https (valid hostname + ca + custom dialer returning a %s)',
    async (dialer) => {
      const backend = await startBackend(undefined, { cert: full.cert, key: full.key });
      const transport = agent(dialerAgent({ ca: full.ca }, dialer));
      const { answer, errors } = await run(backend, { transport });
      expect(answer).toBe('hello world');
      expect(errors).toEqual([]);
      expect(transport.dials).toBe(1);
      expect(backend.handshakes).toHaveLength(1);
    },
  );

  it('https with a custom dialer returning a plain socket still verifies: no CA, no tunnel', async () => {
    const backend = await startBackend(undefined, { cert: full.cert, key: full.key });
    const transport = agent(dialerAgent({}, 'plain socket'));
    const responder = noErrorsAllowed();
    const proxy = await startProxy({
      location: `${backend.url.replace('http:', 'https:')}/hello`,
      transport,
      responder: responder.responder,
    });
    opened.push(proxy, backend);
    await expect(helloWorld(`ws://127.0.0.1:${proxy.port}/some/path`)).rejects.toThrow(
      /Unexpected server response: 599/,
    );
    expect(transport.dials).toBe(1);
    expect(responder.errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_PROXY_DIAL']);
    expect(backend.handshakes).toEqual([]);
  });

  it('https (valid hostname + ca + custom dialer + bearer token through upgradeTransport.wrapRequest)', async () => {
    const backend = await startBackend('Bearer 1234', { cert: full.cert, key: full.key });
    // `transport` cannot verify the backend: the upgrade must go through upgradeTransport.agent.
    const transport = agent(new https.Agent());
    const upgradeAgent = agent(dialerAgent({ ca: full.ca }, 'plain socket'));
    const seen: string[] = [];
    const { answer, errors } = await run(backend, {
      transport,
      upgradeTransport: {
        agent: upgradeAgent,
        wrapRequest(init) {
          seen.push(`${init.method} ${init.path}`);
          return { ...init, headers: { ...init.headers, authorization: 'Bearer 1234' } };
        },
      },
    });
    expect(answer).toBe('hello world');
    expect(errors).toEqual([]);
    expect(seen).toEqual(['GET /hello']);
    expect(upgradeAgent.dials).toBe(1);
    expect(backend.handshakes).toEqual([
      { url: '/hello', authorization: 'Bearer 1234', alpn: 'http/1.1' },
    ]);
  });
});
