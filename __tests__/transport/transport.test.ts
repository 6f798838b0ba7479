import { parseLocation } from '../../lib/util/location.js';
// The transport module: which clients it makes and owns, which one each request takes (the rule
// for what undici cannot send), and what close() releases. Requests run from a real client
// socket through proxyRequest to a real backend on 127.0.0.1.
import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import { promisify } from 'node:util';
import { Agent as UndiciAgent, buildConnector } from 'undici';
import { createExchange } from '../../lib/http/exchange.js';
import { proxyRequest } from '../../lib/http/pipeline.js';
import { loadUndici } from '../../lib/transport/load-undici.js';
import { UndiciBody } from '../../lib/transport/undici-body.js';
import { createTransport, needsNodeClient, type Transport } from '../../lib/transport/transport.js';
import type { UpgradeAwareOptions } from '../../lib/types.js';
import { makeTls } from '../fixtures/tls.js';
import { ROOT } from '../helpers/child.js';
import { head, options, useRequestSource } from '../helpers/exchange.js';
import { startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

const source = useRequestSource();
let backend: Running;
/** Each request the backend got: its path, and whether it came with trailers. */
const seen: { url: string; trailers: Record<string, string> }[] = [];
const transports: Transport[] = [];
const agents: http.Agent[] = [];

beforeAll(async () => {
  backend = await startUpstream((req, res) => {
    req.resume();
    req.once('end', () => {
      seen.push({ url: req.url!, trailers: req.trailers as Record<string, string> });
      // A head larger than a small maxResponseHeaderSize, and a body naming the path.
      res.setHeader('X-Big', 'b'.repeat(2048));
      res.end(`got ${req.url}`);
    });
  });
});

afterEach(async () => {
  jest.restoreAllMocks();
  seen.splice(0);
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  for (const agent of agents.splice(0)) agent.destroy();
});

afterAll(async () => {
  await backend.close();
});

/** createTransport for `input`, closed after the test. */
function transportFor(input: Partial<UpgradeAwareOptions> = {}): Transport {
  const transport = createTransport(
    options({ location: `${backend.url}/`, useRequestLocation: true, ...input }),
  );
  transports.push(transport);
  return transport;
}

function agentOf<T extends http.Agent>(agent: T): T {
  agents.push(agent);
  return agent;
}

/** Sends `raw` (with `Connection: close`) from a client through proxyRequest; resolves with all the client got. */
async function through(
  transport: Transport,
  raw: string,
  input: Partial<UpgradeAwareOptions> = {},
): Promise<string> {
  const received = await source().send(raw);
  const ex = createExchange(
    received.req,
    received.res,
    options({ location: `${backend.url}/`, useRequestLocation: true, ...input }),
  );
  void proxyRequest(ex, transport.roundTrip);
  return received.response();
}

function get(path: string): string {
  return head(`GET ${path} HTTP/1.1`, 'Host: client.example', 'Connection: close');
}

/** A chunked POST with a trailer: what undici cannot send. */
function postWithTrailer(path: string): string {
  return (
    head(
      `POST ${path} HTTP/1.1`,
      'Host: client.example',
      'Connection: close',
      'Transfer-Encoding: chunked',
      'Trailer: X-Sum',
    ).replace(/\r\n$/, '') + '\r\n4\r\nbody\r\n0\r\nX-Sum: 7\r\n\r\n'
  );
}

/** Every request Node's client hands to `agent` (`addRequest` is Node's, missing from @types/node). */
function spyOnRequests(agent: http.Agent): jest.SpyInstance {
  return jest.spyOn(agent as unknown as { addRequest(...args: unknown[]): void }, 'addRequest');
}

/** `keepAlive` is set on every agent but missing from @types/node. */
function keepsAlive(agent: unknown): unknown {
  return (agent as http.Agent & { keepAlive?: unknown }).keepAlive;
}

describe('needsNodeClient', () => {
  it.each([
    ['Expect: 100-continue', true],
    ['Trailer: X-Sum', true],
    ['Transfer-Encoding: gzip, chunked', true],
    ['Transfer-Encoding:  Chunked ', false],
    ['Content-Length: 4', false],
    ['X-Other: 1', false],
  ])('is %p for a request with `%s`', async (line, expected) => {
    const { req } = await source().send(head('POST / HTTP/1.1', 'Host: a', line));
    expect(needsNodeClient(req)).toBe(expected);
    req.socket.destroy();
  });
});

const HTTP = parseLocation('http://127.0.0.1:1');
const HTTPS = parseLocation('https://127.0.0.1:1');

describe('createTransport', () => {
  it("makes an undici Agent for the HTTP path and a keep-alive agent of the location's scheme for upgrades when no transport is given", async () => {
    const dispatch = jest.spyOn(UndiciAgent.prototype, 'dispatch');
    const plain = transportFor();
    expect(plain.agentFor(HTTP)).toBeInstanceOf(http.Agent);
    expect(plain.agentFor(HTTP)).not.toBeInstanceOf(https.Agent);
    expect(keepsAlive(plain.agentFor(HTTP))).toBe(true);
    expect(await through(plain, get('/own'))).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*got \/own$/);
    expect(dispatch).toHaveBeenCalledTimes(1);
    expect(dispatch.mock.contexts[0]).toBeInstanceOf(UndiciAgent);
    const secure = createTransport(options({ location: 'https://127.0.0.1:1' }));
    transports.push(secure);
    expect(secure.agentFor(HTTPS)).toBeInstanceOf(https.Agent);
    expect(keepsAlive(secure.agentFor(HTTPS))).toBe(true);
  });

  it('gives its own undici Agent `maxResponseHeaderSize`', async () => {
    const small = transportFor({ maxResponseHeaderSize: 1024 });
    expect(await through(small, get('/big-head'), { maxResponseHeaderSize: 1024 })).toMatch(
      /backend response headers exceeded the size limit/,
    );
    expect(await through(transportFor(), get('/big-head'))).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('destroys both clients it made on close()', async () => {
    const destroy = jest.spyOn(UndiciAgent.prototype, 'destroy');
    const transport = createTransport(options({ location: backend.url }));
    const upgradeDestroy = jest.spyOn(transport.agentFor(HTTP), 'destroy');
    await transport.close();
    // undici's destroy() without a callback calls itself again with one: count the agents, not the calls.
    expect(new Set(destroy.mock.contexts).size).toBe(1);
    expect(destroy.mock.contexts[0]).toBeInstanceOf(UndiciAgent);
    expect(upgradeDestroy).toHaveBeenCalledTimes(1);
  });

  it('sends every request through an http.Agent given as transport, dials upgrades with it, and never destroys it', async () => {
    const agent = agentOf(new http.Agent({ keepAlive: true }));
    const added = spyOnRequests(agent);
    const destroyed = jest.spyOn(agent, 'destroy');
    const transport = transportFor({ transport: agent });
    expect(transport.agentFor(HTTP)).toBe(agent);
    expect(await through(transport, get('/a'))).toMatch(/got \/a$/);
    expect(await through(transport, postWithTrailer('/b'))).toMatch(/got \/b$/);
    expect(added).toHaveBeenCalledTimes(2);
    await transport.close();
    expect(destroyed).not.toHaveBeenCalled();
  });

  it("sends through a given dispatcher what undici can send, the rest through Node's client on an agent of its own", async () => {
    const dispatcher = new UndiciAgent();
    const dispatch = jest.spyOn(dispatcher, 'dispatch');
    const destroyDispatcher = jest.spyOn(dispatcher, 'destroy');
    try {
      const transport = transportFor({ transport: dispatcher });
      const added = spyOnRequests(transport.agentFor(HTTP));
      const upgradeDestroy = jest.spyOn(transport.agentFor(HTTP), 'destroy');
      expect(await through(transport, get('/plain'))).toMatch(/got \/plain$/);
      expect(await through(transport, postWithTrailer('/trailers'))).toMatch(/got \/trailers$/);
      expect([dispatch.mock.calls.length, added.mock.calls.length]).toEqual([1, 1]);
      expect(seen).toEqual([
        { url: '/plain', trailers: {} },
        { url: '/trailers', trailers: { 'x-sum': '7' } },
      ]);
      await transport.close();
      expect(upgradeDestroy).toHaveBeenCalledTimes(1);
      expect(destroyDispatcher).not.toHaveBeenCalled();
    } finally {
      jest.restoreAllMocks();
      await dispatcher.destroy();
    }
  });

  it('takes upgradeTransport.agent for upgrades and for what undici cannot send, and never destroys it', async () => {
    const agent = agentOf(new http.Agent({ keepAlive: true }));
    const added = spyOnRequests(agent);
    const destroyed = jest.spyOn(agent, 'destroy');
    const destroyOwn = jest.spyOn(UndiciAgent.prototype, 'destroy');
    const transport = transportFor({ upgradeTransport: { agent } });
    expect(transport.agentFor(HTTP)).toBe(agent);
    expect(await through(transport, postWithTrailer('/t'))).toMatch(/got \/t$/);
    expect(added).toHaveBeenCalledTimes(1);
    await transport.close();
    expect(destroyed).not.toHaveBeenCalled();
    expect(new Set(destroyOwn.mock.contexts).size).toBe(1);
  });
});

describe("undici's answer", () => {
  it('is a stream only for whoever asks for one: the relay takes it without', async () => {
    const made = jest.spyOn(UndiciBody.prototype, 'stream');
    try {
      const transport = transportFor();
      expect(await through(transport, get('/plain'))).toMatch(/got \/plain$/);
      expect(made).not.toHaveBeenCalled();
      const staged = await through(transport, get('/staged'), {
        stages: {
          response: [
            (_ex, response) => {
              response.headers.set('x-staged', String(response.body.readable));
            },
          ],
        },
      });
      expect(staged).toMatch(/x-staged: true\r\n[\s\S]*got \/staged$/i);
      expect(made).toHaveBeenCalledTimes(1);
    } finally {
      made.mockRestore();
    }
  });
});

describe('loading undici', () => {
  /** undici's files a fresh node has loaded after building a middleware with `transport` (a source expression). */
  function undiciFilesLoaded(transport: string): string[] {
    const script = `
      const http = require('node:http');
      const { upgradeAware } = require('./dist/index.js');
      const loaded = () => Object.keys(require.cache).filter((file) => file.includes('/node_modules/undici/'));
      const before = loaded();
      const proxy = upgradeAware({ location: 'http://127.0.0.1:1/', transport: ${transport} });
      process.stdout.write(JSON.stringify({ before, after: loaded() }));
      proxy.close();`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    const { before, after } = JSON.parse(out) as { before: string[]; after: string[] };
    expect(before).toEqual([]); // importing the package alone never loads it
    return after.map((file) => file.slice(file.indexOf('/node_modules/undici/') + 21));
  }

  it('happens only when the middleware makes its own undici Agent', () => {
    expect(undiciFilesLoaded('undefined')).toContain('lib/dispatcher/agent.js');
    expect(undiciFilesLoaded('new http.Agent()')).toEqual([]);
  });

  it("loads the Agent's modules, not undici's entry point with fetch and WebSocket", () => {
    const files = undiciFilesLoaded('undefined');
    expect(files).not.toContain('index.js');
    expect(files.filter((file) => file.startsWith('lib/web/'))).toEqual([]);
  });

  it('takes the very Agent and connector that the entry point exports', () => {
    const parts = loadUndici();
    expect(parts.Agent).toBe(UndiciAgent);
    expect(parts.buildConnector).toBe(buildConnector);
  });
});

describe("undici's HTTP/2 module", () => {
  /** Runs `script` in a fresh node in the project root (`http2Loaded()` defined) and parses what it prints. */
  async function inFreshNode<T>(script: string, env: NodeJS.ProcessEnv = {}): Promise<T> {
    const prelude = `const http2Loaded = () => process.moduleLoadList.includes('NativeModule http2');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', prelude + script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    return JSON.parse(stdout) as T;
  }

  it('waits for a first HTTP/2 connection, and then serves it as it would have', async () => {
    const { ca, cert, key } = makeTls();
    const server = http2.createSecureServer({ cert, key }, (req, res) => {
      res.end(`h${req.httpVersion}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const seen = await inFreshNode<Record<string, unknown>>(
        `
        (async () => {
          const { upgradeAware } = require('./dist/index.js');
          const proxy = upgradeAware({ location: 'http://127.0.0.1:1/' });
          const madeProxy = http2Loaded();
          const { Agent } = require('undici');
          const loadedUndici = http2Loaded();
          const agent = new Agent({ allowH2: true, connect: { ca: process.env.CA } });
          const answer = await agent.request({ origin: process.env.ORIGIN, path: '/', method: 'GET' });
          const body = await answer.body.text();
          process.stdout.write(JSON.stringify({ madeProxy, loadedUndici, body, after: http2Loaded() }));
          await agent.close();
          await proxy.close();
        })();`,
        { CA: ca, ORIGIN: `https://127.0.0.1:${port}` },
      );
      expect(seen).toEqual({ madeProxy: false, loadedUndici: false, body: 'h2.0', after: true });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is left as it is when undici was loaded before the package', async () => {
    const seen = await inFreshNode<Record<string, unknown>>(`
      require('undici');
      const file = require.resolve('undici/lib/dispatcher/client-h2.js');
      const before = require.cache[file].exports;
      const { upgradeAware } = require('./dist/index.js');
      const proxy = upgradeAware({ location: 'http://127.0.0.1:1/' });
      process.stdout.write(JSON.stringify({ same: require.cache[file].exports === before, loaded: http2Loaded() }));
      proxy.close();`);
    expect(seen).toEqual({ same: true, loaded: true });
  });
});
