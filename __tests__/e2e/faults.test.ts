import http from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import express from 'express';
import { ProxyError, upgradeAware } from '../../lib/index.js';
import type { ErrorResponderFunction } from '../../lib/index.js';
import { closedPort, connections, listen, request, startProxy, startRecorder, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

/** How a client's response ended: cleanly, or cut off (error, abort, close before the end). */
interface Outcome {
  status: number | undefined;
  bytes: number;
  ending: 'complete' | 'response-error' | 'truncated' | 'request-error';
}

/** A GET that reports how the response ended instead of rejecting on a cut-off response. */
function fetchOutcome(url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const req = http.request(url, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => settle({ status: res.statusCode, bytes, ending: res.complete ? 'complete' : 'truncated' }));
      res.on('error', () => settle({ status: res.statusCode, bytes, ending: 'response-error' }));
      res.on('close', () => settle({ status: res.statusCode, bytes, ending: res.complete ? 'complete' : 'truncated' }));
    });
    req.on('error', () => settle({ status: undefined, bytes: 0, ending: 'request-error' }));
    req.end();
  });
}

/** A responder that answers JSON `{ code, message }` with the error's status, recording each error. */
function jsonResponder(seen: Error[]): ErrorResponderFunction {
  return (err, _req, res) => {
    seen.push(err);
    const status = (err as ProxyError).status ?? 502;
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code: (err as ProxyError).code, message: err.message }));
  };
}

describe('upgradeAware with a backend that refuses connections', () => {
  let port: number;
  beforeEach(async () => {
    port = await closedPort();
  });

  it('answers 503 `error trying to reach service: ...` with the default responder and no transport', async () => {
    const proxy = await startProxy({ location: `http://127.0.0.1:${port}/`, useRequestLocation: true });
    try {
      const res = await request(`${proxy.url}/x`);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const body = res.body.toString();
      expect(body.startsWith('error trying to reach service: ')).toBe(true);
      expect(body).toContain('ECONNREFUSED');
    } finally {
      await proxy.close();
    }
  });

  it('hands the responder an ERR_PROXY_BACKEND_UNREACHABLE error with status 503 when no transport is given', async () => {
    const seen: Error[] = [];
    const proxy = await startProxy({ location: `http://127.0.0.1:${port}/`, responder: jsonResponder(seen) });
    try {
      const res = await request(`${proxy.url}/x`);
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body.toString()).code).toBe('ERR_PROXY_BACKEND_UNREACHABLE');
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBeInstanceOf(ProxyError);
      expect((seen[0] as ProxyError).status).toBe(503);
      expect(seen[0]!.message).toMatch(/^error trying to reach service: .*ECONNREFUSED/);
    } finally {
      await proxy.close();
    }
  });

  it('answers 502 with the raw error message when an explicit transport is given without wrapTransport', async () => {
    const agent = new http.Agent({ keepAlive: true });
    const seen: Error[] = [];
    const proxy = await startProxy({ location: `http://127.0.0.1:${port}/`, transport: agent });
    const observed = await startProxy({ location: `http://127.0.0.1:${port}/`, transport: agent, responder: jsonResponder(seen) });
    try {
      const res = await request(`${proxy.url}/x`);
      expect(res.status).toBe(502);
      const body = res.body.toString();
      expect(body).not.toContain('error trying to reach service');
      expect(body).toContain(`ECONNREFUSED 127.0.0.1:${port}`);

      await request(`${observed.url}/x`);
      expect((seen[0] as ProxyError).code).toBe('ERR_PROXY_BACKEND_UNREACHABLE');
      expect((seen[0] as ProxyError).status).toBe(502);
    } finally {
      await proxy.close();
      await observed.close();
      agent.destroy();
    }
  });

  it('answers 503 through the rewriting transport when an explicit transport has wrapTransport', async () => {
    const agent = new http.Agent();
    const proxy = await startProxy({ location: `http://127.0.0.1:${port}/`, transport: agent, wrapTransport: true });
    try {
      const res = await request(`${proxy.url}/x`);
      expect(res.status).toBe(503);
      expect(res.body.toString()).toMatch(/^error trying to reach service: .*ECONNREFUSED/);
    } finally {
      await proxy.close();
      agent.destroy();
    }
  });
});

describe('upgradeAware with a backend that resets mid-body', () => {
  /** Writes the head and part of a body, then destroys the socket once the part has been handed to the kernel. */
  async function resettingBackend(headers: http.OutgoingHttpHeaders): Promise<Running> {
    return startUpstream((_req, res) => {
      res.writeHead(200, headers);
      res.write(Buffer.alloc(1000, 'a'), () => res.socket?.destroy());
    });
  }

  it.each([
    ['a Content-Length body', { 'Content-Length': '100000' }],
    ['a chunked body', {}],
  ])('gives the client a cut-off response, never a complete one, for %s', async (_name, headers) => {
    const backend = await resettingBackend(headers);
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const outcome = await fetchOutcome(`${proxy.url}/`);
      expect(outcome.ending).not.toBe('complete');
      expect(outcome.bytes).toBeLessThan(100000);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('destroys the client connection instead of calling the responder once the response started', async () => {
    const backend = await resettingBackend({ 'Content-Length': '100000' });
    const responder = jest.fn<void, Parameters<ErrorResponderFunction>>();
    const proxy = await startProxy({ location: `${backend.url}/`, responder });
    try {
      const outcome = await fetchOutcome(`${proxy.url}/`);
      expect(['response-error', 'truncated', 'request-error']).toContain(outcome.ending);
      // Let any late error handling run before checking the responder stayed out of it.
      await new Promise((resolve) => setImmediate(resolve));
      expect(responder).not.toHaveBeenCalled();
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});

describe('upgradeAware with a backend that never answers', () => {
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

  it('answers 504 ERR_PROXY_BACKEND_TIMEOUT after responseHeaderTimeout through a custom responder', async () => {
    const seen: Error[] = [];
    const agent = new http.Agent();
    const proxy = await startProxy({ location: `${backend.url}/`, transport: agent, responseHeaderTimeout: 200, responder: jsonResponder(seen) });
    try {
      const res = await request(`${proxy.url}/slow`);
      expect(res.status).toBe(504);
      expect(JSON.parse(res.body.toString()).code).toBe('ERR_PROXY_BACKEND_TIMEOUT');
      expect(seen[0]).toBeInstanceOf(ProxyError);
      expect((seen[0] as ProxyError).status).toBe(504);
    } finally {
      await proxy.close();
      agent.destroy();
    }
  });

  it('keeps the 504 through the rewriting transport', async () => {
    const proxy = await startProxy({ location: `${backend.url}/`, responseHeaderTimeout: 200 });
    try {
      const res = await request(`${proxy.url}/slow`, { method: 'POST', body: 'payload' });
      expect(res.status).toBe(504);
      expect(res.body.toString()).toMatch(/^error trying to reach service: /);
    } finally {
      await proxy.close();
    }
  });

  it('releases the backend connection after the timeout', async () => {
    const proxy = await startProxy({ location: `${backend.url}/`, responseHeaderTimeout: 200 });
    try {
      expect((await request(`${proxy.url}/slow`)).status).toBe(504);
      await waitFor(async () => (await connections(backend.server)) === 0, 'the backend connection to close');
    } finally {
      await proxy.close();
    }
  });
});

describe('upgradeAware responseHeaderTimeout', () => {
  it('does not cut a response whose head came before the upload finished', async () => {
    // The backend answers the head at once, reads the whole upload, then keeps streaming well past
    // responseHeaderTimeout: the timeout is for the head only, so nothing may stop this response.
    let finish: () => void = () => {};
    const fast = await startUpstream((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('head-first|');
      req.resume();
      req.on('end', () => {
        res.write('upload-done|');
        finish = () => res.end('last');
      });
    });
    const proxy = await startProxy({ location: `${fast.url}/`, responseHeaderTimeout: 50 });
    try {
      const client = http.request(`${proxy.url}/`, { method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } });
      client.write('part');
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      let text = '';
      let ending: 'end' | 'cut' | undefined;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (ending = 'end'));
      res.on('error', () => (ending = 'cut'));
      res.on('close', () => (ending ??= 'cut'));
      client.end('rest');
      await waitFor(() => text.includes('upload-done|') || ending !== undefined, 'the backend to read the upload');
      // Several timeouts' worth of a live response; a stray head timer would have fired by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      finish();
      await waitFor(() => ending !== undefined, 'the response to end');
      expect(ending).toBe('end');
      expect(text).toBe('head-first|upload-done|last');
    } finally {
      await proxy.close();
      await fast.close();
    }
  });
});

describe('upgradeAware when the client aborts', () => {
  it('aborts the backend request when the client goes away mid-upload', async () => {
    let backendReq: http.IncomingMessage | undefined;
    let backendError: NodeJS.ErrnoException | undefined;
    let received = 0;
    const backend = await startUpstream((req) => {
      backendReq = req;
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.on('error', (err) => (backendError = err));
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const client = http.request(`${proxy.url}/upload`, { method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } });
      client.on('error', () => {}); // the abort below makes the client's own request fail
      client.write(Buffer.alloc(64 * 1024, 'u'));
      await waitFor(() => received > 0, 'the backend to receive the first chunk');
      const req = backendReq!;
      const closed = new Promise((resolve) => req.once('close', resolve)); // events.once would reject on 'error'
      client.destroy();
      await closed;
      expect(req.complete).toBe(false);
      expect(backendError?.code).toBe('ECONNRESET'); // Node's 'aborted' error on the backend's request
      await waitFor(async () => (await connections(backend.server)) === 0, 'the backend connections to close');
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('aborts the backend request when the client goes away mid-download', async () => {
    let backendRes: http.ServerResponse | undefined;
    const backend = await startUpstream((_req, res) => {
      backendRes = res;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024, 'd')); // and the rest never comes
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
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
      await backend.close();
    }
  });
});

describe('upgradeAware with a responder that throws', () => {
  it('falls back to the default responder and keeps serving', async () => {
    const port = await closedPort();
    const agent = new http.Agent();
    const proxy = await startProxy({
      location: `http://127.0.0.1:${port}/`,
      transport: agent,
      responder: () => {
        throw new Error('responder bug');
      },
    });
    try {
      const first = await request(`${proxy.url}/x`);
      expect(first.status).toBe(502);
      expect(first.body.toString()).toContain('ECONNREFUSED');
      expect(first.body.toString()).not.toContain('responder bug');
      const second = await request(`${proxy.url}/y`);
      expect(second.status).toBe(502);
    } finally {
      await proxy.close();
      agent.destroy();
    }
  });

  it('destroys the connection when an object responder throws after writing the head', async () => {
    const port = await closedPort();
    const agent = new http.Agent();
    const proxy = await startProxy({
      location: `http://127.0.0.1:${port}/`,
      transport: agent,
      responder: {
        error(_err, _req, res) {
          res.writeHead(500, { 'Content-Length': '100' });
          res.write('partial');
          throw new Error('responder bug');
        },
      },
    });
    try {
      const outcome = await fetchOutcome(`${proxy.url}/x`);
      expect(outcome.ending).not.toBe('complete');
      const again = await fetchOutcome(`${proxy.url}/x`);
      expect(again.ending).not.toBe('complete');
    } finally {
      await proxy.close();
      agent.destroy();
    }
  });
});

describe('upgradeAware behind a body parser', () => {
  async function behindJsonParser(options: Parameters<typeof startProxy>[0], backend: Running): Promise<Running & { close(): Promise<void> }> {
    const proxy = upgradeAware(options);
    const app = express();
    app.use(express.json());
    app.use('/proxy', proxy);
    const running = await listen(http.createServer(app));
    return {
      ...running,
      async close() {
        await proxy.close();
        await running.close();
        await backend.close();
      },
    };
  }

  it('answers 500 ERR_PROXY_BODY_CONSUMED without hanging when express.json() read the body', async () => {
    const backend = await startRecorder();
    const seen: Error[] = [];
    const server = await behindJsonParser({ location: `${backend.url}/`, useRequestLocation: true, responder: jsonResponder(seen) }, backend);
    try {
      const res = await request(`${server.url}/proxy/items`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ a: 1 }),
      });
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body.toString()).code).toBe('ERR_PROXY_BODY_CONSUMED');
      expect(backend.seen).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('answers 500 with the default responder, and forwards requests the parser left alone', async () => {
    const backend = await startRecorder((_req, res, seen) => res.end(seen.body));
    const server = await behindJsonParser({ location: `${backend.url}/`, useRequestLocation: true }, backend);
    try {
      const consumed = await request(`${server.url}/proxy/items`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a":1}',
      });
      expect(consumed.status).toBe(500);
      expect(consumed.body.toString()).toMatch(/already read/);
      const plain = await request(`${server.url}/proxy/items`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'raw' });
      expect(plain.status).toBe(200);
      expect(plain.body.toString()).toBe('raw');
    } finally {
      await server.close();
    }
  });
});

describe('upgradeAware with stale keep-alive sockets', () => {
  it('succeeds on a second GET when the backend closes every connection after its response', async () => {
    const backend = await startUpstream((req, res) => {
      res.end(`hello ${req.url}`, () => req.socket.destroy());
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const proxy = await startProxy({ location: `${backend.url}/`, transport: agent, useRequestLocation: true });
    try {
      const first = await request(`${proxy.url}/one`);
      expect(first.status).toBe(200);
      const second = await request(`${proxy.url}/two`);
      expect(second.status).toBe(200);
      expect(second.body.toString()).toBe('hello /two');
    } finally {
      await proxy.close();
      await backend.close();
      agent.destroy();
    }
  });

  it('retries a GET once on a fresh connection when the reused socket turns out to be closed', async () => {
    const used = new WeakSet<Socket>();
    let dropped = 0;
    const backend = await startUpstream((req, res) => {
      if (used.has(req.socket)) {
        dropped++;
        req.socket.destroy(); // as if the idle connection was closed just as the request arrived
        return;
      }
      used.add(req.socket);
      res.end(`hello ${req.url}`);
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const proxy = await startProxy({ location: `${backend.url}/`, transport: agent, useRequestLocation: true });
    try {
      expect((await request(`${proxy.url}/one`)).status).toBe(200);
      const second = await request(`${proxy.url}/two`);
      expect(second.status).toBe(200);
      expect(second.body.toString()).toBe('hello /two');
      expect(dropped).toBe(1);
    } finally {
      await proxy.close();
      await backend.close();
      agent.destroy();
    }
  });

  it('does not resend a request with a body on a fresh connection', async () => {
    const used = new WeakSet<Socket>();
    let dropped = 0;
    let answered = 0;
    const backend = await startUpstream((req, res) => {
      if (used.has(req.socket)) {
        dropped++;
        req.socket.destroy();
        return;
      }
      used.add(req.socket);
      answered++;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const proxy = await startProxy({ location: `${backend.url}/`, transport: agent });
    try {
      expect((await request(`${proxy.url}/`, { method: 'POST', body: 'first' })).status).toBe(200);
      const second = await request(`${proxy.url}/`, { method: 'POST', body: 'second' });
      expect(second.status).toBe(502);
      expect(dropped).toBe(1);
      expect(answered).toBe(1);
    } finally {
      await proxy.close();
      await backend.close();
      agent.destroy();
    }
  });
});
