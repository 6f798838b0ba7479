// Bodies streamed both ways over every transport kind: large bodies intact, the first chunk
// through before the rest exists, and backpressure both ways (a side that does not read stalls
// the other). Sizes are the smallest that still show each property: integrity needs many chunks,
// not many megabytes; a stall needs more than the kernel and stream buffers on the way can hold.
import http from 'node:http';
import { once } from 'node:events';
import { BLOCK, MB, digest, hashOfBlocks, waitForStall, writeBlocks } from '../helpers/bodies.js';
import type { Progress } from '../helpers/bodies.js';
import { TRANSPORT_KINDS, through } from '../helpers/transports.js';
import { waitFor } from '../helpers/wait.js';

/** Enough to show a body is relayed whole, block after block. */
const INTACT = 4 * MB;
/**
 * Well past what the sockets and streams between the two ends hold: the writer stalled after 8 to
 * 9 MB on every kind when measured, so a stall before the end shows backpressure.
 */
const STALLING = 32 * MB;

/** The whole body of a response as text. */
async function text(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

function get(url: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) =>
    http.get(url, { agent: false }, resolve).on('error', reject),
  );
}

/** Starts an upload of `count` blocks with `headers`; resolves with the response once the upload is written. */
async function upload(
  url: string,
  count: number,
  headers: http.OutgoingHttpHeaders,
  progress?: Progress,
): Promise<http.IncomingMessage> {
  const client = http.request(url, { method: 'POST', agent: false, headers });
  const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
  await writeBlocks(client, count, progress);
  client.end();
  return (await responded)[0];
}

/** A backend that answers with the digest of the body it read. */
const digesting: http.RequestListener = async (req, res) =>
  res.end(JSON.stringify(await digest(req)));

describe.each(TRANSPORT_KINDS)('upgradeAware streaming large bodies over $name', (kind) => {
  it('uploads a large body intact, through the transport once', async () => {
    const count = INTACT / BLOCK.length;
    const { proxy, dispatched, close } = await through(kind, digesting);
    try {
      const res = await upload(`${proxy.url}/up`, count, { 'Content-Length': String(INTACT) });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(await text(res))).toEqual({ bytes: INTACT, sha256: hashOfBlocks(count) });
      expect(dispatched()).toBe(1);
    } finally {
      await close();
    }
  });

  it('uploads a large chunked body intact, still chunked', async () => {
    const count = INTACT / BLOCK.length;
    let framing: (string | undefined)[] = [];
    const { proxy, close } = await through(kind, (req, res) => {
      framing = [req.headers['transfer-encoding'], req.headers['content-length']];
      void digesting(req, res);
    });
    try {
      const res = await upload(`${proxy.url}/up`, count, { 'Transfer-Encoding': 'chunked' });
      expect(JSON.parse(await text(res))).toEqual({ bytes: INTACT, sha256: hashOfBlocks(count) });
      expect(framing).toEqual(['chunked', undefined]);
    } finally {
      await close();
    }
  });

  it('downloads a large body intact with its Content-Length, through the transport once', async () => {
    const count = INTACT / BLOCK.length;
    const { proxy, dispatched, close } = await through(kind, (_req, res) => {
      res.writeHead(200, {
        'Content-Length': String(INTACT),
        'Content-Type': 'application/octet-stream',
      });
      void writeBlocks(res, count).then(() => res.end());
    });
    try {
      const res = await get(`${proxy.url}/down`);
      expect(res.headers['content-length']).toBe(String(INTACT));
      expect(await digest(res)).toEqual({ bytes: INTACT, sha256: hashOfBlocks(count) });
      expect(dispatched()).toBe(1);
    } finally {
      await close();
    }
  });

  it('delivers the first uploaded chunk to the backend before the client has finished sending', async () => {
    // The backend echoes as it reads; the client sends the rest only after the echo of the first
    // chunk came back through the proxy. A proxy that buffered the upload would never answer.
    const { proxy, close } = await through(kind, (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      req.pipe(res);
    });
    try {
      const client = http.request(`${proxy.url}/echo`, {
        method: 'POST',
        agent: false,
        headers: { 'Transfer-Encoding': 'chunked' },
      });
      client.write('first chunk|');
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      const echoed: Buffer[] = [];
      res.on('data', (chunk: Buffer) => echoed.push(chunk));
      await waitFor(
        () => Buffer.concat(echoed).toString() === 'first chunk|',
        'the echo of the first chunk',
      );
      const rest = Buffer.alloc(MB, 'r');
      client.end(rest);
      await once(res, 'end');
      expect(Buffer.concat(echoed).equals(Buffer.concat([Buffer.from('first chunk|'), rest]))).toBe(
        true,
      );
    } finally {
      await close();
    }
  });

  it('delivers the first downloaded chunk to the client before the backend has finished sending', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const { proxy, close } = await through(kind, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write('first chunk|');
      void released.then(() => res.end(Buffer.alloc(MB, 'r')));
    });
    try {
      const res = await get(`${proxy.url}/`);
      const [first] = (await once(res, 'data')) as [Buffer];
      expect(first.toString()).toBe('first chunk|');
      const rest = digest(res);
      release();
      expect((await rest).bytes).toBe(MB);
    } finally {
      await close();
    }
  });

  it('stalls the backend while the client does not read, then delivers everything', async () => {
    const count = STALLING / BLOCK.length;
    const progress: Progress = { written: 0, waiting: false };
    const { proxy, close } = await through(kind, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      void writeBlocks(res, count, progress).then(() => res.end());
    });
    try {
      const res = await get(`${proxy.url}/`);
      res.pause();
      await waitForStall(progress);
      expect(progress.written).toBeLessThan(count);
      expect(await digest(res)).toEqual({ bytes: STALLING, sha256: hashOfBlocks(count) });
    } finally {
      await close();
    }
  });

  it('stalls the client while the backend does not read, then delivers everything', async () => {
    const count = STALLING / BLOCK.length;
    let startReading: (() => void) | undefined;
    const { proxy, close } = await through(kind, (req, res) => {
      // Nothing reads the body until the test says so.
      startReading = () => void digesting(req, res);
    });
    try {
      const progress: Progress = { written: 0, waiting: false };
      const responded = upload(
        `${proxy.url}/`,
        count,
        { 'Content-Length': String(STALLING) },
        progress,
      );
      // Awaited at the end: should the stall never come, the close below fails the upload, and
      // that rejection must fail this test, not end the runner as an unhandled one.
      responded.catch(() => {});
      await waitFor(() => startReading !== undefined, 'the backend to get the request');
      await waitForStall(progress);
      expect(progress.written).toBeLessThan(count);
      startReading!();
      expect(JSON.parse(await text(await responded))).toEqual({
        bytes: STALLING,
        sha256: hashOfBlocks(count),
      });
    } finally {
      await close();
    }
  });
});
