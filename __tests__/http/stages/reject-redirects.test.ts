import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { BackendResponse } from '../../../lib/transport/backend-response.js';
import { rejectRedirects } from '../../../lib/http/stages/reject-redirects.js';
import { exchangeFor, head, useRequestSource } from '../../helpers/exchange.js';

const sourceOf = useRequestSource();

const MESSAGE = 'the backend attempted to redirect this request, which is not permitted';

async function exchange(rejectForwardingRedirects: boolean) {
  return exchangeFor(sourceOf(), head('GET / HTTP/1.1', 'Host: client.example'), {
    location: 'http://127.0.0.1:8080',
    rejectForwardingRedirects,
  });
}

function backend(status: number, headers: Record<string, string[]>): BackendResponse {
  return {
    status,
    statusMessage: 'Backend',
    headers: new Map(Object.entries(headers)),
    body: Readable.from([Buffer.from('backend body')]),
    trailers: () => [],
  };
}

async function text(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString();
}

describe('rejectRedirects', () => {
  it.each([300, 301, 302, 303, 307, 308, 399])(
    'turns a %i with Location into a 502 with the exact body',
    async (status) => {
      const ex = await exchange(true);
      const original = backend(status, {
        location: ['http://127.0.0.1:1/elsewhere'],
        'set-cookie': ['a=1'],
      });
      const out = rejectRedirects(ex, original);
      expect(out.status).toBe(502);
      expect(out.statusMessage).toBe('Bad Gateway');
      expect(Object.fromEntries(out.headers)).toEqual({
        'content-type': ['text/plain; charset=utf-8'],
        'content-length': ['70'],
      });
      const body = await text(out.body);
      expect(body).toBe(MESSAGE);
      expect(Buffer.byteLength(body)).toBe(70);
      expect(out.trailers()).toEqual([]);
    },
  );

  it("discards the backend's body", async () => {
    const ex = await exchange(true);
    const original = backend(302, { location: ['/x'] });
    rejectRedirects(ex, original);
    await once(original.body, 'end');
    expect(original.body.readableEnded).toBe(true);
  });

  it.each([
    [304, {}],
    [302, {}],
    [302, { location: [''] }],
    [200, { location: ['/x'] }],
    [201, { location: ['/x'] }],
    [400, { location: ['/x'] }],
  ])('passes a %i with headers %j unchanged', async (status, headers: Record<string, string[]>) => {
    const ex = await exchange(true);
    const original = backend(status, headers);
    expect(rejectRedirects(ex, original)).toBe(original);
  });

  it('passes a redirect unchanged when the option is off', async () => {
    const ex = await exchange(false);
    const original = backend(302, { location: ['http://127.0.0.1:1/elsewhere'] });
    const out = rejectRedirects(ex, original);
    expect(out).toBe(original);
    expect(await text(out.body)).toBe('backend body');
  });
});
