// Failures on the client's side and in the application, over every transport kind: a client that
// goes away mid-upload, mid-download or before the backend answered (the backend request is torn
// down and its connection released), and a responder that throws. A body parser that read the body
// first fails before any transport is chosen, so it runs once.
import http from 'node:http';
import { once } from 'node:events';
import express from 'express';
import { upgradeAware } from '../../lib/index.js';
import type { ErrorResponderFunction, ProxyError, UpgradeAwareOptions } from '../../lib/index.js';
import { fetchOutcome } from '../helpers/outcome.js';
import {
  closedPort,
  connections,
  listen,
  request,
  startProxy,
  startRecorder,
} from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { TRANSPORT_KINDS, through } from '../helpers/transports.js';
import { waitFor } from '../helpers/wait.js';

/** Waits until `backend` holds no connection. */
function released(backend: Running): Promise<void> {
  return waitFor(
    async () => (await connections(backend.server)) === 0,
    'the backend connections to close',
  );
}

describe.each(TRANSPORT_KINDS)('upgradeAware over $name when the client aborts', (kind) => {
  it('tears down the backend request when the client goes away mid-upload', async () => {
    let backendReq: http.IncomingMessage | undefined;
    let backendError: NodeJS.ErrnoException | undefined;
    let aborted = false;
    let received = 0;
    const { proxy, backend, close } = await through(kind, (req) => {
      backendReq = req;
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.on('aborted', () => (aborted = true));
      req.on('error', (err) => (backendError = err));
    });
    try {
      const client = http.request(`${proxy.url}/upload`, {
        method: 'POST',
        agent: false,
        headers: { 'Transfer-Encoding': 'chunked' },
      });
      client.on('error', () => {}); // the abort below makes the client's own request fail
      client.write(Buffer.alloc(64 * 1024, 'u'));
      await waitFor(() => received > 0, 'the backend to receive the first chunk');
      const req = backendReq!;
      const closed = new Promise((resolve) => req.once('close', resolve)); // events.once would reject on 'error'
      client.destroy();
      await closed;
      expect(req.complete).toBe(false);
      expect(aborted).toBe(true);
      expect(backendError?.code).toBe('ECONNRESET'); // Node's 'aborted' error on the backend's request
      await released(backend);
    } finally {
      await close();
    }
  });

  it('tears down the backend request when the client goes away mid-download', async () => {
    let backendRes: http.ServerResponse | undefined;
    const { proxy, backend, close } = await through(kind, (_req, res) => {
      backendRes = res;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024, 'd')); // and the rest never comes
    });
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
      await released(backend);
    } finally {
      await close();
    }
  });

  it('tears down the backend request when the client goes away before the backend answered', async () => {
    let backendReq: http.IncomingMessage | undefined;
    const { proxy, backend, close } = await through(kind, (req) => {
      backendReq = req; // never answered
    });
    try {
      const client = http.request(`${proxy.url}/wait`, { agent: false });
      client.on('error', () => {});
      client.end();
      await waitFor(() => backendReq !== undefined, 'the backend to get the request');
      const closed = once(backendReq!.socket, 'close');
      client.destroy();
      await closed;
      await released(backend);
    } finally {
      await close();
    }
  });
});

describe.each(TRANSPORT_KINDS)('upgradeAware over $name with a responder that throws', (kind) => {
  /** A proxy over `kind` to a closed port with `responder`. */
  async function refusedWith(
    responder: UpgradeAwareOptions['responder'],
  ): Promise<{ proxy: Running; port: number; close(): Promise<void> }> {
    const port = await closedPort();
    const location = `${kind.protocol}//127.0.0.1:${port}/`;
    const transport = kind.make(location);
    const proxy = await startProxy({ location, ...transport.options, responder });
    return {
      proxy,
      port,
      async close() {
        await proxy.close();
        await transport.release();
      },
    };
  }

  it('falls back to the default responder and keeps serving', async () => {
    const status = kind.rewrites ? 503 : 502;
    const { proxy, close } = await refusedWith(() => {
      throw new Error('responder bug');
    });
    try {
      const first = await request(`${proxy.url}/x`);
      expect(first.status).toBe(status);
      expect(first.body.toString()).toContain('ECONNREFUSED');
      expect(first.body.toString()).not.toContain('responder bug');
      expect((await request(`${proxy.url}/y`)).status).toBe(status);
    } finally {
      await close();
    }
  });

  it('destroys the connection when an object responder throws after writing the head', async () => {
    const { proxy, close } = await refusedWith({
      error(_err, _req, res) {
        res.writeHead(500, { 'Content-Length': '100' });
        res.write('partial');
        throw new Error('responder bug');
      },
    });
    try {
      expect((await fetchOutcome(`${proxy.url}/x`)).ending).not.toBe('complete');
      expect((await fetchOutcome(`${proxy.url}/x`)).ending).not.toBe('complete');
    } finally {
      await close();
    }
  });
});

/** A responder that answers JSON `{ code, message }` with the error's status, recording each error. */
function jsonResponder(seen: Error[]): ErrorResponderFunction {
  return (err, _req, res) => {
    seen.push(err);
    res.writeHead((err as ProxyError).status ?? 502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code: (err as ProxyError).code, message: err.message }));
  };
}

describe('upgradeAware behind a body parser', () => {
  async function behindJsonParser(
    options: UpgradeAwareOptions,
    backend: Running,
  ): Promise<Running> {
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
    const server = await behindJsonParser(
      { location: `${backend.url}/`, useRequestLocation: true, responder: jsonResponder(seen) },
      backend,
    );
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
    const server = await behindJsonParser(
      { location: `${backend.url}/`, useRequestLocation: true },
      backend,
    );
    try {
      const consumed = await request(`${server.url}/proxy/items`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a":1}',
      });
      expect(consumed.status).toBe(500);
      expect(consumed.body.toString()).toMatch(/already read/);
      const plain = await request(`${server.url}/proxy/items`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'raw',
      });
      expect([plain.status, plain.body.toString()]).toEqual([200, 'raw']);
    } finally {
      await server.close();
    }
  });
});
