// Trailers both ways over every transport kind. A request with trailers cannot go through undici's
// dispatch API (it sends no request trailers), so the undici kinds hand it to Node's client: their
// dispatcher sees no request then, where an agent kind carries it as any other.
import http from 'node:http';
import { once } from 'node:events';
import { BLOCK, MB, digest, hashOfBlocks, writeBlocks } from '../helpers/bodies.js';
import { TRANSPORT_KINDS, through } from '../helpers/transports.js';

function get(url: string, headers: http.OutgoingHttpHeaders): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) =>
    http.get(url, { agent: false, headers }, resolve).on('error', reject),
  );
}

describe.each(TRANSPORT_KINDS)('upgradeAware trailers over $name', (kind) => {
  it('relays response trailers', async () => {
    const { proxy, dispatched, close } = await through(kind, (_req, res) => {
      res.writeHead(200, { Trailer: 'X-Checksum', 'Content-Type': 'text/plain' });
      res.write('body');
      res.addTrailers({ 'X-Checksum': 'abc123' });
      res.end();
    });
    try {
      const res = await get(`${proxy.url}/`, { TE: 'trailers' });
      const body = await digest(res);
      expect(body.bytes).toBe(4);
      expect(res.headers.trailer).toBe('X-Checksum');
      expect(res.trailers['x-checksum']).toBe('abc123');
      expect(dispatched()).toBe(1);
    } finally {
      await close();
    }
  });

  it('relays response trailers after a large streamed body', async () => {
    const count = (4 * MB) / BLOCK.length;
    const { proxy, close } = await through(kind, (_req, res) => {
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

  it(`relays request trailers the client declared${kind.client === 'undici' ? ', through the node:http fallback' : ''}`, async () => {
    const { proxy, dispatched, close } = await through(kind, async (req, res) => {
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
      const chunks: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
      expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({
        bytes: 7,
        trailers: { 'x-req-sum': 'xyz' },
      });
      expect(dispatched()).toBe(kind.client === 'undici' ? 0 : 1);
    } finally {
      await close();
    }
  });
});
