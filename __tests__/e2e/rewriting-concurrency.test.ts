// P1: nothing per request lives on the shared middleware. One proxy instance, mounted at two
// paths, gets 50 concurrent requests alternating between them; the backend holds every answer
// until all 50 have arrived, then writes each in two parts, both in a random order, so the
// rewriting of every response overlaps the others. Each request must see only its own prefix,
// in X-Forwarded-Uri, in its links and in its Location.
import type http from 'node:http';
import zlib from 'node:zlib';
import { upgradeAware } from '../../lib/index.js';
import { request, startExpress, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

const COUNT = 50;
const MOUNTS = ['/one', '/two/deeper'];

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Held {
  id: number;
  res: http.ServerResponse;
  forwardedUri: string | undefined;
  /** The body in the two parts the backend writes, already encoded. */
  parts: [Buffer, Buffer];
}

/** Request `id`: an HTML page (gzip for every third), or a redirect for every fourth. */
function answerFor(id: number): { headers: http.OutgoingHttpHeaders; parts: [Buffer, Buffer] } {
  if (id % 4 === 3)
    return {
      headers: { Location: `/item/${id}/moved` },
      parts: [Buffer.alloc(0), Buffer.alloc(0)],
    };
  const html =
    `<html><body><a href="/item/${id}/link">link</a>` +
    ' '.repeat(2000) +
    `<img src="/item/${id}/img.png"></body></html>`;
  const body = id % 3 === 0 ? zlib.gzipSync(html) : Buffer.from(html);
  const half = body.length >> 1;
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': 'text/html',
    ...(id % 3 === 0 ? { 'Content-Encoding': 'gzip' } : {}),
  };
  return { headers, parts: [body.subarray(0, half), body.subarray(half)] };
}

describe('upgradeAware shared by two mounts (P1)', () => {
  let backend: Running;
  let app: Running;
  const held: Held[] = [];

  beforeAll(async () => {
    backend = await startUpstream((req, res) => {
      const id = Number(/\/item\/(\d+)$/.exec(req.url ?? '')?.[1]);
      const { headers, parts } = answerFor(id);
      res.writeHead(id % 4 === 3 ? 302 : 200, headers);
      held.push({
        id,
        res,
        forwardedUri: req.headers['x-forwarded-uri'] as string | undefined,
        parts,
      });
      if (held.length === COUNT) void release();
    });
    const proxy = upgradeAware({ location: `${backend.url}/`, useRequestLocation: true });
    app = await startExpress(MOUNTS.map((mount) => [mount, proxy]));
  });
  afterAll(async () => {
    await app.close();
    await backend.close();
  });

  /** Writes the first parts in a random order, then the last parts in another. */
  async function release(): Promise<void> {
    for (const h of shuffled(held)) {
      h.res.write(h.parts[0]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const h of shuffled(held)) {
      h.res.end(h.parts[1]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('gives every one of 50 interleaved requests its own mount prefix', async () => {
    const ids = Array.from({ length: COUNT }, (_, id) => id);
    const mountOf = (id: number): string => MOUNTS[id % 2]!;
    const responses = await Promise.all(
      ids.map((id) => request(`${app.url}${mountOf(id)}/item/${id}`)),
    );
    expect(held).toHaveLength(COUNT);
    for (const h of held) expect(h.forwardedUri).toBe(`${mountOf(h.id)}/item/${h.id}`);
    for (const id of ids) {
      const { status, headers, body } = responses[id]!;
      const mount = mountOf(id);
      if (id % 4 === 3) {
        expect(status).toBe(302);
        expect(headers.location).toBe(`${mount}/item/${id}/moved`);
        continue;
      }
      expect(status).toBe(200);
      const html = (id % 3 === 0 ? zlib.gunzipSync(body) : body).toString();
      expect(html).toBe(
        `<html><body><a href="${mount}/item/${id}/link">link</a>` +
          ' '.repeat(2000) +
          `<img src="${mount}/item/${id}/img.png"></body></html>`,
      );
    }
  });
});
