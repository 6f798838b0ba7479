import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import express from 'express';
import { upgradeAware } from '../../lib/index.js';
import type { UpgradeAwareOptions } from '../../lib/index.js';
import { listen, request, startProxy, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { BLOCK, MB, bufferingLayer, digest, hashOfBlocks, lockstep, readInLockstep, sha256, waitForStall, writeBlocks } from '../helpers/bodies.js';
import { waitFor } from '../helpers/wait.js';

/** Sends a raw request over TCP and returns everything the server wrote until it closed. */
async function rawExchange(port: number, head: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(head);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

describe('upgradeAware streaming large bodies', () => {
  it('uploads 20 MB intact', async () => {
    const backend = await startUpstream(async (req, res) => {
      res.end(JSON.stringify(await digest(req)));
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const count = (20 * MB) / BLOCK.length;
      const client = http.request(`${proxy.url}/up`, { method: 'POST', agent: false, headers: { 'Content-Length': String(20 * MB) } });
      const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
      await writeBlocks(client, count, { written: 0, waiting: false });
      client.end();
      const [res] = await responded;
      const chunks: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({ bytes: 20 * MB, sha256: hashOfBlocks(count) });
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('downloads 20 MB intact with its Content-Length', async () => {
    const count = (20 * MB) / BLOCK.length;
    const backend = await startUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(20 * MB), 'Content-Type': 'application/octet-stream' });
      void writeBlocks(res, count, { written: 0, waiting: false }).then(() => res.end());
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const client = http.get(`${proxy.url}/down`, { agent: false });
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      expect(res.headers['content-length']).toBe(String(20 * MB));
      expect(await digest(res)).toEqual({ bytes: 20 * MB, sha256: hashOfBlocks(count) });
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('delivers the first uploaded chunk to the backend before the client has finished sending', async () => {
    // The backend echoes as it reads; the client sends the rest only after the echo of the first
    // chunk came back through the proxy. A proxy that buffered the upload would never answer.
    const backend = await startUpstream((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      req.pipe(res);
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
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
      expect(sha256(...echoed)).toBe(sha256(Buffer.from('first chunk|'), rest));
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('delivers the first downloaded chunk to the client before the backend has finished sending', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const backend = await startUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write('first chunk|');
      void released.then(() => res.end(Buffer.alloc(5 * MB, 'r')));
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`${proxy.url}/`, { agent: false }, resolve));
      const [first] = (await once(res, 'data')) as [Buffer];
      expect(first.toString()).toBe('first chunk|');
      const rest = digest(res);
      release();
      expect((await rest).bytes).toBe(5 * MB);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('stalls the backend while the client does not read, then delivers everything', async () => {
    const count = (64 * MB) / BLOCK.length;
    const progress = { written: 0, waiting: false };
    const backend = await startUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      void writeBlocks(res, count, progress).then(() => res.end());
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`${proxy.url}/`, { agent: false }, resolve));
      res.pause();
      await waitForStall(progress);
      expect(progress.written).toBeLessThan(count);
      expect(await digest(res)).toEqual({ bytes: 64 * MB, sha256: hashOfBlocks(count) });
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('stalls the client while the backend does not read, then delivers everything', async () => {
    const count = (64 * MB) / BLOCK.length;
    let startReading: (() => void) | undefined;
    const backend = await startUpstream((req, res) => {
      // Nothing reads the body until the test says so.
      startReading = () => void digest(req).then((result) => res.end(JSON.stringify(result)));
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const progress = { written: 0, waiting: false };
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
      const body: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) body.push(chunk);
      expect(JSON.parse(Buffer.concat(body).toString())).toEqual({ bytes: 64 * MB, sha256: hashOfBlocks(count) });
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});

describe('upgradeAware response framing', () => {
  let backend: Running;
  let proxy: Running;
  beforeAll(async () => {
    backend = await startUpstream((req, res) => {
      switch (req.url) {
        case '/length':
          res.writeHead(200, { 'Content-Length': '11' });
          res.end('hello world');
          break;
        case '/chunked':
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('part one, ');
          setImmediate(() => res.end('part two'));
          break;
        case '/no-content':
          res.writeHead(204, { 'X-Seen': 'yes' });
          res.end();
          break;
        case '/not-modified':
          res.writeHead(304, { ETag: '"v1"' });
          res.end();
          break;
        default:
          res.writeHead(200, { 'Content-Length': '5', 'Content-Type': 'text/plain' });
          res.end(req.method === 'HEAD' ? undefined : 'hello');
      }
    });
    proxy = await startProxy({ location: `${backend.url}/`, useRequestLocation: true });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });

  it('preserves the backend Content-Length', async () => {
    const res = await request(`${proxy.url}/length`);
    expect(res.headers['content-length']).toBe('11');
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.body.toString()).toBe('hello world');
  });

  it('keeps a chunked response chunked', async () => {
    const raw = await rawExchange(proxy.port, 'GET /chunked HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n');
    const end = raw.indexOf('\r\n\r\n');
    const head = raw.slice(0, end);
    expect(head).toMatch(/^Transfer-Encoding: chunked$/im);
    expect(head).not.toMatch(/^Content-Length:/im);
    expect(raw.slice(end + 4)).toMatch(/^[0-9a-f]+\r\n.*\r\n0\r\n\r\n$/is);
    const res = await request(`${proxy.url}/chunked`);
    expect(res.body.toString()).toBe('part one, part two');
  });

  it.each([
    ['HEAD', '/head', /^HTTP\/1\.1 200 /, /^Content-Length: 5$/im],
    ['GET', '/no-content', /^HTTP\/1\.1 204 /, /^X-Seen: yes$/im],
    ['GET', '/not-modified', /^HTTP\/1\.1 304 /, /^ETag: "v1"$/im],
  ])('passes a %s %s answer with no body', async (method, path, status, header) => {
    const raw = await rawExchange(proxy.port, `${method} ${path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`);
    const end = raw.indexOf('\r\n\r\n');
    expect(end).toBeGreaterThan(0);
    const head = raw.slice(0, end);
    expect(head).toMatch(status);
    expect(head).toMatch(header);
    expect(raw.slice(end + 4)).toBe('');
  });
});

describe('upgradeAware trailers', () => {
  it('forwards response trailers', async () => {
    const backend = await startUpstream((_req, res) => {
      res.writeHead(200, { Trailer: 'X-Checksum', 'Content-Type': 'text/plain' });
      res.write('body');
      res.addTrailers({ 'X-Checksum': 'abc123' });
      res.end();
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve) =>
        http.get(`${proxy.url}/`, { agent: false, headers: { TE: 'trailers' } }, resolve),
      );
      const body = await digest(res);
      expect(body.bytes).toBe(4);
      expect(res.headers.trailer).toBe('X-Checksum');
      expect(res.trailers['x-checksum']).toBe('abc123');
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('forwards request trailers', async () => {
    const backend = await startUpstream(async (req, res) => {
      const body = await digest(req);
      res.end(JSON.stringify({ bytes: body.bytes, trailers: req.trailers }));
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
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
      const chunks: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
      expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({ bytes: 7, trailers: { 'x-req-sum': 'xyz' } });
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});

describe('upgradeAware informational responses', () => {
  it('relays 103 Early Hints before the final response', async () => {
    const backend = await startUpstream((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }, () => {
        setImmediate(() => res.end('final'));
      });
    });
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const events: string[] = [];
      const client = http.get(`${proxy.url}/`, { agent: false });
      client.on('information', (info) => events.push(`${info.statusCode} ${String(info.headers.link)}`));
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      events.push(`response ${res.statusCode}`);
      const body = await digest(res);
      expect(events).toEqual(['103 </style.css>; rel=preload; as=style', 'response 200']);
      expect(body.bytes).toBe(5);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('works end to end with Expect: 100-continue', async () => {
    const expects: (string | undefined)[] = [];
    const server = http.createServer(async (req, res) => {
      res.end(`got ${(await digest(req)).bytes}`);
    });
    // Answer the 100 ourselves, so the test knows the backend saw the expectation.
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      expects.push(req.headers.expect);
      res.writeContinue();
      server.emit('request', req, res);
    });
    const backend = await listen(server);
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      const body = Buffer.alloc(100_000, 'c');
      const client = http.request(`${proxy.url}/`, {
        method: 'PUT',
        agent: false,
        headers: { Expect: '100-continue', 'Content-Length': String(body.length) },
      });
      const continues: number[] = [];
      client.on('information', (info) => continues.push(info.statusCode));
      client.on('continue', () => client.end(body));
      client.flushHeaders();
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      const chunks: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
      expect(res.statusCode).toBe(200);
      expect(Buffer.concat(chunks).toString()).toBe('got 100000');
      expect(continues).toEqual([100]);
      expect(expects).toEqual(['100-continue']);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});

/** Express with the buffering layer in front of the proxy. */
async function expressWithLayer(options: UpgradeAwareOptions, counter: { flushes: number }): Promise<Running> {
  const proxy = upgradeAware(options);
  const app = express();
  app.use(bufferingLayer(counter));
  app.use('/proxy', proxy);
  const running = await listen(http.createServer(app));
  return {
    ...running,
    async close() {
      await proxy.close();
      await running.close();
    },
  };
}

/** A backend serving {@link lockstep} events. */
async function lockstepBackend(contentType: string, count: number): Promise<Running & { ack(): void }> {
  const { handler, ack } = lockstep(contentType, count);
  return Object.assign(await startUpstream(handler), { ack });
}

describe('upgradeAware flushInterval', () => {
  const expected = ['data: event 1', 'data: event 2', 'data: event 3'];

  it('delivers text/event-stream events one by one through a plain server', async () => {
    const backend = await lockstepBackend('text/event-stream', 3);
    const proxy = await startProxy({ location: `${backend.url}/` });
    try {
      expect(await readInLockstep(`${proxy.url}/`, backend.ack, 3)).toEqual(expected);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('flushes a compression-like layer after every chunk for text/event-stream, whatever the interval', async () => {
    const backend = await lockstepBackend('text/event-stream; charset=utf-8', 3);
    const counter = { flushes: 0 };
    // An interval far longer than the test: only the per-chunk flush can deliver the events.
    const server = await expressWithLayer({ location: `${backend.url}/`, flushInterval: 3_600_000 }, counter);
    const flushesAtEvent: number[] = [];
    try {
      const events = await readInLockstep(`${server.url}/proxy/`, backend.ack, 3, () => flushesAtEvent.push(counter.flushes));
      expect(events).toEqual(expected);
      // Every event passed the layer only through a flush made for it.
      flushesAtEvent.forEach((flushes, i) => expect(flushes).toBeGreaterThanOrEqual(i + 1));
    } finally {
      await server.close();
      await backend.close();
    }
  });

  it('flushes a compression-like layer after every chunk with flushInterval -1', async () => {
    const backend = await lockstepBackend('text/plain', 3);
    const counter = { flushes: 0 };
    const server = await expressWithLayer({ location: `${backend.url}/`, flushInterval: -1 }, counter);
    const flushesAtEvent: number[] = [];
    try {
      const events = await readInLockstep(`${server.url}/proxy/`, backend.ack, 3, () => flushesAtEvent.push(counter.flushes));
      expect(events).toEqual(expected);
      // Every event passed the layer only through a flush made for it.
      flushesAtEvent.forEach((flushes, i) => expect(flushes).toBeGreaterThanOrEqual(i + 1));
    } finally {
      await server.close();
      await backend.close();
    }
  });

  it('flushes a compression-like layer after writes with a positive interval', async () => {
    const backend = await lockstepBackend('text/plain', 2);
    const counter = { flushes: 0 };
    const server = await expressWithLayer({ location: `${backend.url}/`, flushInterval: 20 }, counter);
    try {
      const events = await readInLockstep(`${server.url}/proxy/`, backend.ack, 2);
      expect(events).toEqual(expected.slice(0, 2));
      expect(counter.flushes).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
      await backend.close();
    }
  });
});
