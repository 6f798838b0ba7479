// Bodies through an undici Dispatcher as `transport` (issue 6): the streaming guarantees of the
// node:http transport (streaming.test.ts, upstream-flush-headers.test.ts) must hold the same.
// Kubernetes' T9 (headers while the body stalls), SSE events one by one, 20 MB each way intact
// with backpressure, trailers both ways (request trailers take the node:http fallback), and 1xx
// answers (102, 103, 100 Continue) before the final response.
import http from 'node:http';
import { once } from 'node:events';
import express from 'express';
import { Agent } from 'undici';
import { upgradeAware } from '../../lib/index.js';
import { listen, startProxy, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { BLOCK, MB, bufferingLayer, type Progress, digest, hashOfBlocks, lockstep, readInLockstep, waitForStall, writeBlocks } from '../helpers/bodies.js';
import { waitFor } from '../helpers/wait.js';

/** The whole body of a response as text. */
async function text(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

function get(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(url, { agent: false, headers }, resolve).on('error', reject));
}

/** A backend and a proxy in front of it whose transport is an undici Agent counting its dispatches. */
async function throughUndici(handler: http.RequestListener): Promise<{ backend: Running; proxy: Running; dispatched: () => number; close(): Promise<void> }> {
  const backend = await startUpstream(handler);
  const dispatcher = new Agent();
  const spy = jest.spyOn(dispatcher, 'dispatch');
  const proxy = await startProxy({ location: `${backend.url}/`, transport: dispatcher });
  return {
    backend,
    proxy,
    dispatched: () => spy.mock.calls.length,
    async close() {
      await proxy.close();
      await dispatcher.destroy();
      await backend.close();
    },
  };
}

describe('upgradeAware with an undici transport: streaming large bodies', () => {
  it('uploads 20 MB intact', async () => {
    const count = (20 * MB) / BLOCK.length;
    const { proxy, dispatched, close } = await throughUndici(async (req, res) => res.end(JSON.stringify(await digest(req))));
    try {
      const client = http.request(`${proxy.url}/up`, { method: 'POST', agent: false, headers: { 'Content-Length': String(20 * MB) } });
      const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
      await writeBlocks(client, count);
      client.end();
      const [res] = await responded;
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(await text(res))).toEqual({ bytes: 20 * MB, sha256: hashOfBlocks(count) });
      expect(dispatched()).toBe(1);
    } finally {
      await close();
    }
  });

  it('uploads 20 MB chunked intact', async () => {
    const count = (20 * MB) / BLOCK.length;
    let framing: (string | undefined)[] = [];
    const { proxy, close } = await throughUndici(async (req, res) => {
      framing = [req.headers['transfer-encoding'], req.headers['content-length']];
      res.end(JSON.stringify(await digest(req)));
    });
    try {
      const client = http.request(`${proxy.url}/up`, { method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } });
      const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
      await writeBlocks(client, count);
      client.end();
      const [res] = await responded;
      expect(JSON.parse(await text(res))).toEqual({ bytes: 20 * MB, sha256: hashOfBlocks(count) });
      expect(framing).toEqual(['chunked', undefined]);
    } finally {
      await close();
    }
  });

  it('downloads 20 MB intact with its Content-Length', async () => {
    const count = (20 * MB) / BLOCK.length;
    const { proxy, dispatched, close } = await throughUndici((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(20 * MB), 'Content-Type': 'application/octet-stream' });
      void writeBlocks(res, count).then(() => res.end());
    });
    try {
      const res = await get(`${proxy.url}/down`);
      expect(res.headers['content-length']).toBe(String(20 * MB));
      expect(await digest(res)).toEqual({ bytes: 20 * MB, sha256: hashOfBlocks(count) });
      expect(dispatched()).toBe(1);
    } finally {
      await close();
    }
  });

  it('delivers the first uploaded chunk to the backend before the client has finished sending', async () => {
    // The backend echoes as it reads; the client sends the rest only once the first chunk's echo is back.
    const { proxy, close } = await throughUndici((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      req.pipe(res);
    });
    try {
      const client = http.request(`${proxy.url}/echo`, { method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } });
      client.write('first chunk|');
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      const echoed: Buffer[] = [];
      res.on('data', (chunk: Buffer) => echoed.push(chunk));
      await waitFor(() => Buffer.concat(echoed).toString() === 'first chunk|', 'the echo of the first chunk');
      const rest = Buffer.alloc(5 * MB, 'r');
      client.end(rest);
      await once(res, 'end');
      expect(Buffer.concat(echoed).equals(Buffer.concat([Buffer.from('first chunk|'), rest]))).toBe(true);
    } finally {
      await close();
    }
  });

  it('stalls the backend while the client does not read, then delivers everything', async () => {
    const count = (64 * MB) / BLOCK.length;
    const progress: Progress = { written: 0, waiting: false };
    const { proxy, close } = await throughUndici((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      void writeBlocks(res, count, progress).then(() => res.end());
    });
    try {
      const res = await get(`${proxy.url}/`);
      res.pause();
      await waitForStall(progress);
      expect(progress.written).toBeLessThan(count);
      expect(await digest(res)).toEqual({ bytes: 64 * MB, sha256: hashOfBlocks(count) });
    } finally {
      await close();
    }
  });

  it('stalls the client while the backend does not read, then delivers everything', async () => {
    const count = (64 * MB) / BLOCK.length;
    let startReading: (() => void) | undefined;
    const { proxy, close } = await throughUndici((req, res) => {
      startReading = () => void digest(req).then((result) => res.end(JSON.stringify(result)));
    });
    try {
      const progress: Progress = { written: 0, waiting: false };
      const client = http.request(`${proxy.url}/`, { method: 'POST', agent: false, headers: { 'Content-Length': String(64 * MB) } });
      const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
      const sent = writeBlocks(client, count, progress);
      await waitFor(() => startReading !== undefined, 'the backend to get the request');
      await waitForStall(progress);
      expect(progress.written).toBeLessThan(count);
      startReading!();
      await sent;
      client.end();
      const [res] = await responded;
      expect(JSON.parse(await text(res))).toEqual({ bytes: 64 * MB, sha256: hashOfBlocks(count) });
    } finally {
      await close();
    }
  });
});

describe('upgradeAware with an undici transport: Kubernetes T9 (TestFlushIntervalHeaders)', () => {
  it('delivers the response headers while the backend body stalls', async () => {
    const stalled: http.ServerResponse[] = [];
    const { proxy, close } = await throughUndici((_req, res) => {
      res.setHeader('MyHeader', 'hi');
      res.writeHead(200);
      res.flushHeaders();
      stalled.push(res); // never ended until the test is over
    });
    const req = http.request(proxy.url, { agent: false, headers: { Connection: 'close' } });
    req.on('error', () => {}); // destroyed mid-body at the end
    try {
      req.end();
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      expect(res.statusCode).toBe(200);
      expect(res.headers.myheader).toBe('hi');
      expect(res.complete).toBe(false);
      expect(stalled).toHaveLength(1);
      expect(stalled[0]!.writableEnded).toBe(false);
    } finally {
      req.destroy();
      for (const res of stalled) res.end();
      await close();
    }
  });
});


describe('upgradeAware with an undici transport: server-sent events', () => {
  const expected = ['data: event 1', 'data: event 2', 'data: event 3'];

  it('delivers text/event-stream events one by one through a plain server', async () => {
    const sse = lockstep('text/event-stream', 3);
    const { proxy, close } = await throughUndici(sse.handler);
    try {
      expect(await readInLockstep(`${proxy.url}/`, sse.ack, 3)).toEqual(expected);
    } finally {
      await close();
    }
  });

  it('flushes a compression-like layer after every event, whatever the interval', async () => {
    const sse = lockstep('text/event-stream; charset=utf-8', 3);
    const backend = await startUpstream(sse.handler);
    const dispatcher = new Agent();
    const proxy = upgradeAware({ location: `${backend.url}/`, transport: dispatcher, flushInterval: 3_600_000 });
    const counter = { flushes: 0 };
    const app = express();
    app.use(bufferingLayer(counter));
    app.use('/proxy', proxy);
    const server = await listen(http.createServer(app));
    try {
      const flushesAtEvent: number[] = [];
      const events = await readInLockstep(`${server.url}/proxy/`, sse.ack, 3, () => flushesAtEvent.push(counter.flushes));
      expect(events).toEqual(expected);
      flushesAtEvent.forEach((flushes, i) => expect(flushes).toBeGreaterThanOrEqual(i + 1));
    } finally {
      await proxy.close();
      await server.close();
      await dispatcher.destroy();
      await backend.close();
    }
  });
});

describe('upgradeAware with an undici transport: trailers', () => {
  it('relays response trailers', async () => {
    const { proxy, dispatched, close } = await throughUndici((_req, res) => {
      res.writeHead(200, { Trailer: 'X-Checksum', 'Content-Type': 'text/plain' });
      res.write('body');
      res.addTrailers({ 'X-Checksum': 'abc123' });
      res.end();
    });
    try {
      const res = await get(`${proxy.url}/`, { TE: 'trailers' });
      expect(await text(res)).toBe('body');
      expect(res.headers.trailer).toBe('X-Checksum');
      expect(res.trailers['x-checksum']).toBe('abc123');
      expect(dispatched()).toBe(1);
    } finally {
      await close();
    }
  });

  it('relays response trailers after a large streamed body', async () => {
    const count = (4 * MB) / BLOCK.length;
    const { proxy, close } = await throughUndici((_req, res) => {
      res.writeHead(200, { Trailer: 'X-Checksum', 'Content-Type': 'application/octet-stream' });
      void writeBlocks(res, count).then(() => {
        res.addTrailers({ 'X-Checksum': hashOfBlocks(count) });
        res.end();
      });
    });
    try {
      const res = await get(`${proxy.url}/`, { TE: 'trailers' });
      const body = await digest(res);
      expect(body.bytes).toBe(4 * MB);
      expect(res.trailers['x-checksum']).toBe(body.sha256);
    } finally {
      await close();
    }
  });

  it('relays request trailers the client declared, through the node:http fallback', async () => {
    const { proxy, dispatched, close } = await throughUndici(async (req, res) => {
      const body = await digest(req);
      res.end(JSON.stringify({ bytes: body.bytes, trailers: req.trailers }));
    });
    try {
      const client = http.request(`${proxy.url}/`, {
        method: 'POST',
        agent: false,
        headers: { 'Transfer-Encoding': 'chunked', Trailer: 'X-Req-Sum' },
      });
      client.write('payload');
      client.addTrailers({ 'X-Req-Sum': 'xyz' });
      client.end();
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      expect(JSON.parse(await text(res))).toEqual({ bytes: 7, trailers: { 'x-req-sum': 'xyz' } });
      expect(dispatched()).toBe(0);
    } finally {
      await close();
    }
  });
});

describe('upgradeAware with an undici transport: informational responses', () => {
  it('relays 102 Processing and 103 Early Hints before the final response', async () => {
    const { proxy, dispatched, close } = await throughUndici((_req, res) => {
      res.writeProcessing();
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }, () => setImmediate(() => res.end('final')));
    });
    try {
      const events: string[] = [];
      const client = http.get(`${proxy.url}/`, { agent: false });
      client.on('information', (info) => events.push(`${info.statusCode} ${info.headers.link ?? ''}`.trim()));
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      events.push(`response ${res.statusCode}`);
      expect(await text(res)).toBe('final');
      expect(events).toEqual(['102', '103 </style.css>; rel=preload; as=style', 'response 200']);
      expect(dispatched()).toBe(1);
    } finally {
      await close();
    }
  });

  /** PUTs 100 000 bytes with `Expect: 100-continue` to `url`; resolves with the 1xx codes seen and the answer. */
  async function expectContinue(url: string): Promise<{ continues: number[]; status: number | undefined; body: string }> {
    const body = Buffer.alloc(100_000, 'c');
    const client = http.request(url, { method: 'PUT', agent: false, headers: { Expect: '100-continue', 'Content-Length': String(body.length) } });
    const continues: number[] = [];
    client.on('information', (info) => continues.push(info.statusCode));
    client.on('continue', () => client.end(body));
    client.flushHeaders();
    const [res] = (await once(client, 'response')) as [http.IncomingMessage];
    return { continues, status: res.statusCode, body: await text(res) };
  }

  it('works end to end with Expect: 100-continue: the backend sees the expectation, the client gets one 100', async () => {
    const expects: (string | undefined)[] = [];
    const server = http.createServer(async (req, res) => res.end(`got ${(await digest(req)).bytes}`));
    // Answer the 100 here, so the test knows the backend saw the expectation.
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      expects.push(req.headers.expect);
      res.writeContinue();
      server.emit('request', req, res);
    });
    const backend = await listen(server);
    const dispatcher = new Agent();
    const proxy = await startProxy({ location: `${backend.url}/`, transport: dispatcher });
    try {
      expect(await expectContinue(`${proxy.url}/`)).toEqual({ continues: [100], status: 200, body: 'got 100000' });
      expect(expects).toEqual(['100-continue']);
    } finally {
      await proxy.close();
      await dispatcher.destroy();
      await backend.close();
    }
  });

  it('gets the client one 100 when the application took over checkContinue without answering it', async () => {
    const backend = await startUpstream(async (req, res) => res.end(`got ${(await digest(req)).bytes}`));
    const dispatcher = new Agent();
    const proxy = upgradeAware({ location: `${backend.url}/`, transport: dispatcher });
    const server = http.createServer(proxy);
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => server.emit('request', req, res));
    const front = await listen(server);
    try {
      expect(await expectContinue(`${front.url}/`)).toEqual({ continues: [100], status: 200, body: 'got 100000' });
    } finally {
      await proxy.close();
      await front.close();
      await dispatcher.destroy();
      await backend.close();
    }
  });
});
