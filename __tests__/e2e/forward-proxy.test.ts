// Backends behind a forward proxy (proxyFromEnvironment), connectTimeout and upgradeTransport.dial,
// through the whole middleware: a CONNECT proxy on loopback that sends every host name to
// 127.0.0.1 (so backend.example reaches the test backends), plain and TLS backends, plain requests
// and WebSocket upgrades (docs/options.md, "proxyFromEnvironment", "connectTimeout",
// "upgradeTransport").
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { makeTls, type TlsFixture } from '../fixtures/tls.js';
import { listen, request, startProxy, startRecorder, type Running } from '../helpers/servers.js';
import { startForwardProxy, withProxyEnv, type ForwardProxy } from '../helpers/forward-proxy.js';
import { closeWebSockets, openWebSocket } from '../helpers/websockets.js';
import type { UpgradeAwareOptions } from '../../lib/index.js';

let fixture: TlsFixture;
const running: Running[] = [];
const keep = <T extends Running>(r: T): T => (running.push(r), r);

beforeAll(() => {
  fixture = makeTls(['backend.example']);
});

afterEach(async () => {
  closeWebSockets();
  for (const r of running.splice(0).reverse()) await r.close();
});

/** Our proxy, made while the environment holds `env`. */
function proxyWith(env: Record<string, string>, options: UpgradeAwareOptions) {
  return withProxyEnv(env, () => startProxy(options)).then(keep);
}

/** A WebSocket echo backend, plain or TLS with a certificate for backend.example; records SNI. */
async function wsEcho(secure: boolean): Promise<Running & { servernames: string[] }> {
  const servernames: string[] = [];
  const server = secure
    ? https.createServer({ key: fixture.key, cert: fixture.cert })
    : http.createServer();
  server.on('secureConnection', (socket: tls.TLSSocket) =>
    servernames.push(String((socket as { servername?: unknown }).servername)),
  );
  server.on('tlsClientError', () => {});
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
  const r = keep(await listen(server as http.Server));
  return Object.assign(r, { servernames });
}

async function echoThrough(port: number): Promise<string> {
  const ws = await openWebSocket(`ws://127.0.0.1:${port}/ws`);
  ws.send('hi');
  const [data] = (await once(ws, 'message')) as [Buffer];
  ws.close();
  return data.toString();
}

/** A TCP server that accepts and never answers: a TLS backend whose handshake never completes. */
async function silentServer(): Promise<Running & { closed: () => number }> {
  let closed = 0;
  // Reading, so that the client's FIN is seen: a paused socket never learns of it.
  const server = net.createServer((socket) => socket.resume().on('close', () => closed++));
  const r = keep(await listen(server as unknown as http.Server));
  return Object.assign(r, { closed: () => closed });
}

describe('proxyFromEnvironment, the HTTP path', () => {
  let forward: ForwardProxy;
  beforeEach(async () => {
    forward = keep(await startForwardProxy());
  });

  it('tunnels a request for an http location through HTTP_PROXY, read when the middleware is made', async () => {
    const backend = keep(await startRecorder());
    const proxy = await proxyWith(
      { HTTP_PROXY: `127.0.0.1:${forward.port}` }, // no scheme: http:// is assumed, as in Go
      { location: `http://backend.example:${backend.port}/`, proxyFromEnvironment: true },
    );
    const answer = await request(`${proxy.url}/a?b=1`); // the environment is restored by now
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('ok');
    expect(forward.connects).toEqual([
      {
        authority: `backend.example:${backend.port}`,
        host: `backend.example:${backend.port}`,
        proxyAuthorization: undefined,
      },
    ]);
    expect(backend.seen[0]).toMatchObject({ url: '/?b=1' });
    expect(backend.seen[0]!.headers.host).toBe(`127.0.0.1:${proxy.port}`); // the client's, as always
  });

  it("sends the proxy URL's credentials as Proxy-Authorization: Basic, and never to the backend", async () => {
    const backend = keep(await startRecorder());
    const proxy = await proxyWith(
      { HTTP_PROXY: `http://us%65r:p%40ss@127.0.0.1:${forward.port}` },
      { location: `http://backend.example:${backend.port}/`, proxyFromEnvironment: true },
    );
    // Node's client too: a request with Expect goes through it.
    const answers = [
      await request(`${proxy.url}/`),
      await request(`${proxy.url}/`, {
        method: 'POST',
        headers: { expect: '100-continue' },
        body: 'x',
      }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const basic = `Basic ${Buffer.from('user:p@ss').toString('base64')}`;
    expect(forward.connects.map((c) => c.proxyAuthorization)).toEqual([basic, basic]);
    expect(backend.seen.map((s) => s.headers['proxy-authorization'])).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("answers 503 with the proxy's status line when it refuses the CONNECT", async () => {
    const refusing = keep(
      await startForwardProxy({ answer: 'HTTP/1.1 407 Proxy Authentication Required\r\n\r\n' }),
    );
    const proxy = await proxyWith(
      { HTTP_PROXY: `http://127.0.0.1:${refusing.port}` },
      { location: 'http://backend.example:8080/', proxyFromEnvironment: true },
    );
    const answer = await request(`${proxy.url}/`);
    expect(answer.status).toBe(503);
    expect(answer.body.toString()).toBe(
      'error trying to reach service: proxy refused CONNECT: "HTTP/1.1 407 Proxy Authentication Required"\n',
    );
  });

  it('never proxies a loopback location, and skips hosts NO_PROXY names', async () => {
    const backend = keep(await startRecorder());
    const direct = await proxyWith(
      { HTTP_PROXY: `127.0.0.1:${forward.port}` },
      { location: `http://127.0.0.1:${backend.port}/`, proxyFromEnvironment: true },
    );
    expect((await request(`${direct.url}/`)).status).toBe(200);
    // NO_PROXY with another port does not match: still proxied.
    const otherPort = await proxyWith(
      { HTTP_PROXY: `127.0.0.1:${forward.port}`, NO_PROXY: 'backend.example:1' },
      { location: `http://backend.example:${backend.port}/`, proxyFromEnvironment: true },
    );
    expect((await request(`${otherPort.url}/`)).status).toBe(200);
    expect(forward.connects.map((c) => c.authority)).toEqual([`backend.example:${backend.port}`]);
    expect(backend.seen).toHaveLength(2);
  });

  it('leaves the environment alone without proxyFromEnvironment', async () => {
    const backend = keep(await startRecorder());
    const proxy = await proxyWith(
      { HTTP_PROXY: `127.0.0.1:${forward.port}` },
      { location: `http://localhost:${backend.port}/` },
    );
    expect((await request(`${proxy.url}/`)).status).toBe(200);
    expect(forward.connects).toEqual([]);
  });

  it('puts TLS on the tunnel for an https location, SNI the location, verification unchanged', async () => {
    const backend = await wsEcho(true);
    const proxy = await proxyWith(
      { HTTPS_PROXY: `127.0.0.1:${forward.port}`, HTTP_PROXY: 'http://127.0.0.1:1' },
      { location: `https://backend.example:${backend.port}/`, proxyFromEnvironment: true },
    );
    const answer = await request(`${proxy.url}/`);
    // The test CA is not among Node's roots: the default client refuses the certificate.
    expect(answer.status).toBe(503);
    expect(answer.body.toString()).toMatch(/^error trying to reach service: .*certificate/);
    expect(forward.connects.map((c) => c.authority)).toEqual([`backend.example:${backend.port}`]);
    expect(backend.servernames).toEqual([]); // the client aborted the handshake at the certificate
  });
});

describe('proxyFromEnvironment, upgrades', () => {
  let forward: ForwardProxy;
  beforeEach(async () => {
    forward = keep(await startForwardProxy());
  });

  it('dials an http location through a CONNECT tunnel', async () => {
    const backend = await wsEcho(false);
    const proxy = await proxyWith(
      { HTTP_PROXY: `http://u:p@127.0.0.1:${forward.port}` },
      { location: `http://backend.example:${backend.port}/`, proxyFromEnvironment: true },
    );
    expect(await echoThrough(proxy.port)).toBe('echo hi');
    expect(forward.connects).toEqual([
      {
        authority: `backend.example:${backend.port}`,
        host: `backend.example:${backend.port}`,
        proxyAuthorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
      },
    ]);
  });

  it("dials an https location through the tunnel with the given agent's TLS settings", async () => {
    const backend = await wsEcho(true);
    const proxy = await proxyWith(
      { HTTPS_PROXY: `127.0.0.1:${forward.port}` },
      {
        location: `https://backend.example:${backend.port}/`,
        proxyFromEnvironment: true,
        upgradeTransport: { agent: new https.Agent({ ca: fixture.ca }) },
      },
    );
    expect(await echoThrough(proxy.port)).toBe('echo hi');
    expect(forward.connects.map((c) => c.authority)).toEqual([`backend.example:${backend.port}`]);
    expect(backend.servernames).toEqual(['backend.example']);
  });

  it('answers 502 ERR_PROXY_DIAL with the status line when the proxy refuses', async () => {
    const refusing = keep(await startForwardProxy({ answer: 'HTTP/1.1 403 Forbidden\r\n\r\n' }));
    const proxy = await proxyWith(
      { HTTP_PROXY: `127.0.0.1:${refusing.port}` },
      { location: 'http://backend.example:8080/', proxyFromEnvironment: true },
    );
    await expect(openWebSocket(`ws://127.0.0.1:${proxy.port}/ws`)).rejects.toThrow(/502/);
    expect(refusing.connects).toHaveLength(1);
  });

  it('dials NO_PROXY hosts directly, with the agent', async () => {
    const backend = await wsEcho(false);
    // Every name is 127.0.0.1 for this agent (Node asks for all addresses when it races families).
    const lookup = (_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) =>
      options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
    const proxy = await proxyWith(
      { HTTP_PROXY: `127.0.0.1:${forward.port}`, NO_PROXY: 'example' },
      {
        location: `http://backend.example:${backend.port}/`,
        proxyFromEnvironment: true,
        upgradeTransport: { agent: new http.Agent({ lookup } as http.AgentOptions) },
      },
    );
    expect(await echoThrough(proxy.port)).toBe('echo hi');
    expect(forward.connects).toEqual([]);
  });
});

describe('connectTimeout', () => {
  it('answers 503 on the HTTP path when the TLS handshake does not finish in time (undici)', async () => {
    const silent = await silentServer();
    const proxy = keep(
      await startProxy({ location: `https://127.0.0.1:${silent.port}/`, connectTimeout: 100 }),
    );
    const answer = await request(`${proxy.url}/`);
    expect(answer.status).toBe(503);
    expect(answer.body.toString()).toBe(
      'error trying to reach service: net/http: TLS handshake timeout\n',
    );
  });

  it("answers 502 on the HTTP path through Node's client with a given agent", async () => {
    const silent = await silentServer();
    const proxy = keep(
      await startProxy({
        location: `https://127.0.0.1:${silent.port}/`,
        transport: new https.Agent(),
        connectTimeout: 100,
      }),
    );
    const answer = await request(`${proxy.url}/`);
    expect(answer.status).toBe(502);
    expect(answer.body.toString()).toBe('net/http: TLS handshake timeout\n');
  });

  it('bounds the wait for a proxy that never answers CONNECT', async () => {
    const stalled = keep(await startForwardProxy({ stall: true }));
    const proxy = await proxyWith(
      { HTTP_PROXY: `127.0.0.1:${stalled.port}` },
      { location: 'http://backend.example:8080/', proxyFromEnvironment: true, connectTimeout: 100 },
    );
    const answer = await request(`${proxy.url}/`);
    expect(answer.status).toBe(503);
    expect(answer.body.toString()).toBe(
      'error trying to reach service: dial tcp backend.example:8080: i/o timeout\n',
    );
  });

  it('fails an upgrade with ERR_PROXY_DIAL and closes the half-open connection', async () => {
    const silent = await silentServer();
    const seen: unknown[] = [];
    const proxy = keep(
      await startProxy({
        location: `https://127.0.0.1:${silent.port}/`,
        connectTimeout: 100,
        upgradeTransport: { agent: new https.Agent() },
        responder: (err, _req, res) => {
          seen.push([(err as { code?: string }).code, err.message]);
          res.statusCode = 502;
          res.end();
        },
      }),
    );
    await expect(openWebSocket(`ws://127.0.0.1:${proxy.port}/ws`)).rejects.toThrow(/502/);
    expect(seen).toEqual([
      ['ERR_PROXY_DIAL', 'error dialing backend: net/http: TLS handshake timeout'],
    ]);
    await waitClosed(silent);
  });
});

async function waitClosed(silent: { closed: () => number }): Promise<void> {
  while (silent.closed() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('upgradeTransport.dial', () => {
  it('opens the upgrade connection instead of the agent, even with a proxy in the environment', async () => {
    const backend = await wsEcho(false);
    const urls: string[] = [];
    const proxy = await proxyWith(
      { HTTP_PROXY: 'http://127.0.0.1:1' },
      {
        location: 'http://backend.invalid:9/',
        proxyFromEnvironment: true,
        upgradeTransport: {
          dial: (url) => {
            urls.push(url.href);
            return net.connect((backend.server.address() as AddressInfo).port, '127.0.0.1');
          },
        },
      },
    );
    expect(await echoThrough(proxy.port)).toBe('echo hi');
    expect(urls).toEqual(['http://backend.invalid:9/']);
  });

  it('sends a rejection to the responder as ERR_PROXY_DIAL', async () => {
    const seen: unknown[] = [];
    const proxy = keep(
      await startProxy({
        location: 'http://backend.invalid:9/',
        upgradeTransport: { dial: () => Promise.reject(new Error('no route')) },
        responder: (err, _req, res) => {
          seen.push([(err as { code?: string }).code, err.message]);
          res.statusCode = 502;
          res.end();
        },
      }),
    );
    await expect(openWebSocket(`ws://127.0.0.1:${proxy.port}/ws`)).rejects.toThrow(/502/);
    expect(seen).toEqual([['ERR_PROXY_DIAL', 'error dialing backend: no route']]);
  });
});
