// Failures through an undici Dispatcher as `transport` (issue 6), each next to what the node:http
// transport answers in the same setup (faults.test.ts, upstream-error-propagation.test.ts): a
// refused backend, Kubernetes' T10 with a dispatcher that fails, a backend that never answers
// (responseHeaderTimeout), and a client that goes away mid-upload or mid-download.
import http from 'node:http';
import { once } from 'node:events';
import { Agent } from 'undici';
import type { Dispatcher as UndiciDispatcher } from 'undici';
import type { Dispatcher, ProxyError, UpgradeAwareOptions } from '../../lib/index.js';
import { FAKE_STATUS, closedPort, connections, fakeResponder, request, startProxy, startRecorder, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

/** What a client got: status, the headers that describe the answer, the body. */
interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** The answers of a proxy over a node:http Agent and of one over an undici Agent, same other options. */
async function bothTransports(options: UpgradeAwareOptions, path: string, init: Parameters<typeof request>[1] = {}): Promise<{ node: Answer; undici: Answer }> {
  const agent = new http.Agent();
  const dispatcher = new Agent();
  const viaNode = await startProxy({ ...options, transport: agent });
  const viaUndici = await startProxy({ ...options, transport: dispatcher });
  try {
    const answer = async (proxy: Running): Promise<Answer> => {
      const res = await request(`${proxy.url}${path}`, init);
      return { status: res.status, contentType: res.headers['content-type'], body: res.body.toString() };
    };
    return { node: await answer(viaNode), undici: await answer(viaUndici) };
  } finally {
    await viaNode.close();
    await viaUndici.close();
    agent.destroy();
    await dispatcher.destroy();
  }
}

describe('upgradeAware with an undici transport and a backend that refuses connections', () => {
  let port: number;
  beforeEach(async () => {
    port = await closedPort();
  });

  it('answers 502 with the ECONNREFUSED message, as the node:http transport does', async () => {
    const { node, undici } = await bothTransports({ location: `http://127.0.0.1:${port}/` }, '/x');
    expect(node).toEqual({ status: 502, contentType: 'text/plain; charset=utf-8', body: `connect ECONNREFUSED 127.0.0.1:${port}\n` });
    expect(undici).toEqual(node);
  });

  it('answers 503 `error trying to reach service: ...` with wrapTransport, as the node:http transport does', async () => {
    const { node, undici } = await bothTransports({ location: `http://127.0.0.1:${port}/`, wrapTransport: true }, '/x');
    expect(node).toEqual({
      status: 503,
      contentType: 'text/plain; charset=utf-8',
      body: `error trying to reach service: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    });
    expect(undici).toEqual(node);
  });

  it('answers a POST with a body the same way', async () => {
    const { node, undici } = await bothTransports({ location: `http://127.0.0.1:${port}/` }, '/x', { method: 'POST', body: 'payload' });
    expect(node.status).toBe(502);
    expect(undici).toEqual(node);
  });

  it('hands the responder an ERR_PROXY_BACKEND_UNREACHABLE ProxyError with status 502', async () => {
    const dispatcher = new Agent();
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({ location: `http://127.0.0.1:${port}/`, transport: dispatcher, responder });
    try {
      const res = await request(`${proxy.url}/x`);
      expect(res.status).toBe(FAKE_STATUS);
      expect(calls).toHaveLength(1);
      const err = calls[0] as ProxyError;
      expect([err.name, err.code, err.status, err.message]).toEqual(['ProxyError', 'ERR_PROXY_BACKEND_UNREACHABLE', 502, `connect ECONNREFUSED 127.0.0.1:${port}`]);
    } finally {
      await proxy.close();
      await dispatcher.destroy();
    }
  });
});

/** A dispatcher that fails every request with `nasty error`, as undici reports a failure: through `handler.onError`. */
function failingDispatcher(when: 'at once' | 'after connecting'): Dispatcher & { dispatched: number } {
  return {
    dispatched: 0,
    dispatch(_options: object, handler: object): boolean {
      this.dispatched += 1;
      const { onConnect, onError } = handler as UndiciDispatcher.DispatchHandlers;
      if (when === 'at once') onError!(new Error('nasty error'));
      else {
        onConnect!(() => {});
        setImmediate(() => onError!(new Error('nasty error')));
      }
      return true;
    },
    async destroy() {},
  };
}

describe('upgradeAware with an undici transport (upstream TestErrorPropagation, T10)', () => {
  it.each(['at once', 'after connecting'] as const)(
    'hands a dispatcher error raised %s to the responder as `error trying to reach service: nasty error`',
    async (when) => {
      const backend = await startRecorder();
      const transport = failingDispatcher(when);
      const { responder, calls } = fakeResponder();
      const proxy = await startProxy({ location: backend.url, transport, wrapTransport: true, responder });
      try {
        const res = await request(proxy.url, { headers: { Connection: 'close' } });
        expect(res.status).toBe(FAKE_STATUS);
        expect(res.body.toString()).toBe('error trying to reach service: nasty error');
        expect(calls).toHaveLength(1);
        const err = calls[0] as ProxyError;
        expect([err.code, err.status]).toEqual(['ERR_PROXY_BACKEND_UNREACHABLE', 503]);
        expect(transport.dispatched).toBe(1);
        expect(backend.seen).toHaveLength(0);
      } finally {
        await proxy.close();
        await backend.close();
      }
    },
  );

  it('answers 502 `nasty error` with the default responder and no wrapTransport', async () => {
    const backend = await startRecorder();
    const proxy = await startProxy({ location: backend.url, transport: failingDispatcher('after connecting') });
    try {
      const res = await request(proxy.url);
      expect([res.status, res.body.toString()]).toEqual([502, 'nasty error\n']);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});

describe('upgradeAware with an undici transport and a backend that never answers', () => {
  let backend: Running;
  const held: http.ServerResponse[] = [];
  beforeEach(async () => {
    backend = await startUpstream((req, res) => {
      req.resume();
      held.push(res); // accepted, never answered
    });
  });
  afterEach(async () => {
    await backend.close();
    held.length = 0;
  });

  it('answers 504 `timeout awaiting response headers` after responseHeaderTimeout, as the node:http transport does', async () => {
    const { node, undici } = await bothTransports({ location: `${backend.url}/`, responseHeaderTimeout: 200 }, '/slow');
    expect(node).toEqual({ status: 504, contentType: 'text/plain; charset=utf-8', body: 'timeout awaiting response headers\n' });
    expect(undici).toEqual(node);
  });

  it('keeps the 504 through the rewriting transport, for a POST too', async () => {
    const { node, undici } = await bothTransports(
      { location: `${backend.url}/`, responseHeaderTimeout: 200, wrapTransport: true },
      '/slow',
      { method: 'POST', body: 'payload' },
    );
    expect(node).toEqual({ status: 504, contentType: 'text/plain; charset=utf-8', body: 'error trying to reach service: timeout awaiting response headers\n' });
    expect(undici).toEqual(node);
  });

  it('hands the responder an ERR_PROXY_BACKEND_TIMEOUT ProxyError with status 504', async () => {
    const dispatcher = new Agent();
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({ location: `${backend.url}/`, transport: dispatcher, responseHeaderTimeout: 200, responder });
    try {
      await request(`${proxy.url}/slow`);
      expect(calls).toHaveLength(1);
      expect([(calls[0] as ProxyError).code, (calls[0] as ProxyError).status]).toEqual(['ERR_PROXY_BACKEND_TIMEOUT', 504]);
    } finally {
      await proxy.close();
      await dispatcher.destroy();
    }
  });

  it('releases the backend connection after the timeout', async () => {
    const dispatcher = new Agent();
    const proxy = await startProxy({ location: `${backend.url}/`, transport: dispatcher, responseHeaderTimeout: 200 });
    try {
      expect((await request(`${proxy.url}/slow`)).status).toBe(504);
      await waitFor(async () => (await connections(backend.server)) === 0, 'the backend connection to close');
    } finally {
      await proxy.close();
      await dispatcher.destroy();
    }
  });
});

/** The node:http transport and the undici one, each with what releases it. */
const TRANSPORTS: [string, () => { transport: http.Agent | Dispatcher; release(): Promise<void> }][] = [
  ['a node:http Agent', () => {
    const agent = new http.Agent();
    return { transport: agent, release: async () => agent.destroy() };
  }],
  ['an undici Agent', () => {
    const dispatcher = new Agent();
    return { transport: dispatcher, release: () => dispatcher.destroy() };
  }],
];

describe.each(TRANSPORTS)('upgradeAware over %s: responseHeaderTimeout counts from the end of the upload', (_kind, make) => {
  /** A proxy with responseHeaderTimeout 100 in front of a backend that reads the request body only when told. */
  async function slowReader(): Promise<{ proxy: Running; read(): void; arrived: () => boolean; close(): Promise<void> }> {
    let read: (() => void) | undefined;
    const backend = await startUpstream((req, res) => {
      read = () => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => res.end(`got ${Buffer.concat(chunks).length}`));
      };
    });
    const { transport, release } = make();
    const proxy = await startProxy({ location: `${backend.url}/`, transport, responseHeaderTimeout: 100 });
    return {
      proxy,
      read: () => read!(),
      arrived: () => read !== undefined,
      async close() {
        await proxy.close();
        await release();
        await backend.close();
      },
    };
  }

  it('does not time out while the client is still sending', async () => {
    const { proxy, read, arrived, close } = await slowReader();
    try {
      const client = http.request(`${proxy.url}/`, { method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } });
      const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
      client.write('first|');
      await waitFor(arrived, 'the backend to get the request');
      read();
      // Many timeouts' worth of an upload in progress; a head timer running now would fire, even
      // on undici's coarse timers (they fire up to about 1.5 s late).
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      client.end('last');
      const [res] = await responded;
      res.resume();
      expect(res.statusCode).toBe(200);
    } finally {
      await close();
    }
  });

  it('does not time out while the backend is slow to read a large upload', async () => {
    const { proxy, read, arrived, close } = await slowReader();
    try {
      const body = Buffer.alloc(16 * 1024 * 1024, 'u');
      const client = http.request(`${proxy.url}/`, { method: 'POST', agent: false, headers: { 'Content-Length': String(body.length) } });
      client.on('error', () => {}); // a cut upload shows as the status below
      const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
      client.end(body);
      await waitFor(arrived, 'the backend to get the request');
      // The upload is stuck on the backend's full buffers for many timeouts (undici's timers
      // included); the head clock has not started yet.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      read();
      const [res] = await responded;
      const chunks: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
      expect([res.statusCode, Buffer.concat(chunks).toString()]).toEqual([200, `got ${body.length}`]);
    } finally {
      await close();
    }
  });
});

describe('upgradeAware with an undici transport when the client aborts', () => {
  it('tears down the backend request when the client goes away mid-upload', async () => {
    let backendReq: http.IncomingMessage | undefined;
    let aborted = false;
    let received = 0;
    const backend = await startUpstream((req) => {
      backendReq = req;
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.on('aborted', () => (aborted = true));
      req.on('error', () => {});
    });
    const dispatcher = new Agent();
    const proxy = await startProxy({ location: `${backend.url}/`, transport: dispatcher });
    try {
      const client = http.request(`${proxy.url}/upload`, { method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } });
      client.on('error', () => {});
      client.write(Buffer.alloc(64 * 1024, 'u'));
      await waitFor(() => received > 0, 'the backend to receive the first chunk');
      const req = backendReq!;
      const closed = new Promise((resolve) => req.once('close', resolve));
      client.destroy();
      await closed;
      expect(req.complete).toBe(false);
      expect(aborted).toBe(true);
      await waitFor(async () => (await connections(backend.server)) === 0, 'the backend connections to close');
    } finally {
      await proxy.close();
      await dispatcher.destroy();
      await backend.close();
    }
  });

  it('tears down the backend request when the client goes away mid-download', async () => {
    let backendRes: http.ServerResponse | undefined;
    const backend = await startUpstream((_req, res) => {
      backendRes = res;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024, 'd')); // and the rest never comes
    });
    const dispatcher = new Agent();
    const proxy = await startProxy({ location: `${backend.url}/`, transport: dispatcher });
    try {
      const client = http.request(`${proxy.url}/download`, { agent: false });
      client.on('error', () => {});
      client.end();
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      res.on('error', () => {});
      await once(res, 'data');
      const closed = once(backendRes!, 'close');
      client.destroy();
      await closed;
      expect(backendRes!.writableFinished).toBe(false);
      await waitFor(async () => (await connections(backend.server)) === 0, 'the backend connections to close');
    } finally {
      await proxy.close();
      await dispatcher.destroy();
      await backend.close();
    }
  });

  it('tears down the backend request when the client goes away before the backend answered', async () => {
    let backendReq: http.IncomingMessage | undefined;
    const backend = await startUpstream((req) => {
      backendReq = req; // never answered
    });
    const dispatcher = new Agent();
    const proxy = await startProxy({ location: `${backend.url}/`, transport: dispatcher });
    try {
      const client = http.request(`${proxy.url}/wait`, { agent: false });
      client.on('error', () => {});
      client.end();
      await waitFor(() => backendReq !== undefined, 'the backend to get the request');
      const closed = once(backendReq!.socket, 'close');
      client.destroy();
      await closed;
      await waitFor(async () => (await connections(backend.server)) === 0, 'the backend connections to close');
    } finally {
      await proxy.close();
      await dispatcher.destroy();
      await backend.close();
    }
  });
});
