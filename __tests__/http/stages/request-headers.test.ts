import { toPairs } from '../../../lib/util/raw-headers.js';
import type { Exchange } from '../../../lib/http/exchange.js';
import { clientHeaders } from '../../../lib/http/stages/client-headers.js';
import { requestHeaders as finish } from '../../../lib/http/stages/request-headers.js';
import { RequestSource, exchangeFor, head, useRequestSource } from '../../helpers/exchange.js';

const sourceOf = useRequestSource();

/** The client-headers stage, then the request-headers stage, as the pipeline runs them without user stages. */
function requestHeaders(ex: Exchange): boolean {
  return clientHeaders(ex) || finish(ex);
}

/** The headers the stage builds for `raw`, as [name, value] pairs; the outgoing Host is `backend.example`. */
async function headersFor(raw: string): Promise<[string, string][]> {
  const ex = await exchangeFor(sourceOf(), raw, { location: 'http://127.0.0.1:8080' });
  ex.host = 'backend.example';
  expect(requestHeaders(ex)).toBe(false);
  return toPairs(ex.headers.raw);
}

function names(pairs: [string, string][]): string[] {
  return pairs.map(([name]) => name.toLowerCase());
}

function valuesOf(pairs: [string, string][], name: string): string[] {
  return pairs.filter(([n]) => n.toLowerCase() === name).map(([, value]) => value);
}

describe('requestHeaders', () => {
  it("sends the outgoing Host first, in place of the client's", async () => {
    const pairs = await headersFor(head('GET / HTTP/1.1', 'Accept: */*', 'Host: client.example'));
    expect(pairs[0]).toEqual(['Host', 'backend.example']);
    expect(valuesOf(pairs, 'host')).toEqual(['backend.example']);
  });

  it("sends the client's lines as sent: names in their case, in order, repeated names on separate lines", async () => {
    const pairs = await headersFor(
      head(
        'GET / HTTP/1.1',
        'Host: client.example',
        'x-lower: 1',
        'X-UPPER: 2',
        'Accept: text/html',
        'X-Mixed-Case: 3',
        'x-lower: again',
        'Cookie: a=1',
        'Cookie: b=2',
      ),
    );
    expect(pairs.slice(1, 8)).toEqual([
      ['x-lower', '1'],
      ['X-UPPER', '2'],
      ['Accept', 'text/html'],
      ['X-Mixed-Case', '3'],
      ['x-lower', 'again'],
      ['Cookie', 'a=1'],
      ['Cookie', 'b=2'],
    ]);
  });

  it('keeps the X-Stream-Protocol-Version lines of kubectl exec apart, and repeated Authorization lines', async () => {
    const pairs = await headersFor(
      head(
        'POST /exec HTTP/1.1',
        'Host: client.example',
        'Content-Length: 0',
        'X-Stream-Protocol-Version: v5.channel.k8s.io',
        'X-Stream-Protocol-Version: v4.channel.k8s.io',
        'Authorization: Bearer a',
        'Authorization: Bearer b',
      ),
    );
    expect(valuesOf(pairs, 'x-stream-protocol-version')).toEqual([
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
    ]);
    expect(valuesOf(pairs, 'authorization')).toEqual(['Bearer a', 'Bearer b']);
  });

  it("forwards what a middleware changed or deleted in req.headers instead of the client's lines", async () => {
    const ex = await exchangeFor(
      sourceOf(),
      head(
        'GET / HTTP/1.1',
        'Host: client.example',
        'X-Role: admin',
        'X-Role: root',
        'Authorization: Basic eDp5',
        'X-Kept: 1',
        'X-Kept: 2',
      ),
      { location: 'http://127.0.0.1:8080' },
    );
    ex.req.headers['x-role'] = 'viewer';
    delete ex.req.headers.authorization;
    ex.host = 'backend.example';
    requestHeaders(ex);
    const pairs = toPairs(ex.headers.raw);
    expect(valuesOf(pairs, 'x-role')).toEqual(['viewer']);
    expect(names(pairs)).not.toContain('authorization');
    expect(valuesOf(pairs, 'x-kept')).toEqual(['1', '2']);
  });

  it('forwards a header an earlier middleware set on req.headers', async () => {
    const ex = await exchangeFor(sourceOf(), head('GET / HTTP/1.1', 'Host: client.example'), {
      location: 'http://127.0.0.1:8080',
    });
    ex.req.headers['x-user'] = 'alice';
    ex.host = 'backend.example';
    requestHeaders(ex);
    expect(valuesOf(toPairs(ex.headers.raw), 'x-user')).toEqual(['alice']);
  });

  it('removes the hop-by-hop headers', async () => {
    const pairs = await headersFor(
      head(
        'GET / HTTP/1.1',
        'Host: client.example',
        'Connection: keep-alive',
        'Keep-Alive: timeout=5',
        'Proxy-Connection: keep-alive',
        'Proxy-Authorization: Basic eDp5',
        'Proxy-Authenticate: Basic',
        'Upgrade: h2c',
        'Trailer: X-Sum',
        'X-Kept: yes',
      ),
    );
    for (const name of [
      'connection',
      'keep-alive',
      'proxy-connection',
      'proxy-authorization',
      'proxy-authenticate',
      'upgrade',
      'trailer',
    ]) {
      expect(names(pairs)).not.toContain(name);
    }
    expect(valuesOf(pairs, 'x-kept')).toEqual(['yes']);
  });

  it('removes the headers named in any Connection line, every line of them', async () => {
    const pairs = await headersFor(
      head(
        'GET / HTTP/1.1',
        'Host: client.example',
        'Connection: X-Private, keep-alive',
        'connection: x-other',
        'X-Private: 1',
        'X-Other: 2',
        'X-Public: 3',
        'x-private: 4',
        'Keep-Alive: a',
        'keep-alive: b',
      ),
    );
    expect(names(pairs)).not.toContain('x-private');
    expect(names(pairs)).not.toContain('x-other');
    expect(valuesOf(pairs, 'x-public')).toEqual(['3']);
  });

  it.each([
    ['trailers', ['trailers']],
    ['trailers, deflate', ['trailers']],
    ['deflate;q=0.5, Trailers', ['trailers']],
    ['deflate', []],
    ['x-trailers', []],
  ])('turns TE: %s into %j', async (te, expected) => {
    const pairs = await headersFor(head('GET / HTTP/1.1', 'Host: client.example', `TE: ${te}`));
    expect(valuesOf(pairs, 'te')).toEqual(expected);
  });

  it('appends the client address to X-Forwarded-For', async () => {
    const pairs = await headersFor(head('GET / HTTP/1.1', 'Host: client.example'));
    expect(pairs).toContainEqual(['X-Forwarded-For', '127.0.0.1']);
  });

  it('joins every earlier X-Forwarded-For line with ", " before the client address', async () => {
    const pairs = await headersFor(
      head(
        'GET / HTTP/1.1',
        'Host: client.example',
        'X-Forwarded-For: 192.0.2.1',
        'x-forwarded-for: 192.0.2.2, 192.0.2.3',
      ),
    );
    expect(valuesOf(pairs, 'x-forwarded-for')).toEqual([
      '192.0.2.1, 192.0.2.2, 192.0.2.3, 127.0.0.1',
    ]);
  });

  it('shows an IPv4-mapped IPv6 client address as IPv4', async () => {
    const mapped = await RequestSource.start('::ffff:127.0.0.1');
    try {
      const ex = await exchangeFor(mapped, head('GET / HTTP/1.1', 'Host: client.example'), {
        location: 'http://127.0.0.1:8080',
      });
      expect(ex.req.socket.remoteAddress).toBe('::ffff:127.0.0.1');
      requestHeaders(ex);
      expect(valuesOf(toPairs(ex.headers.raw), 'x-forwarded-for')).toEqual(['127.0.0.1']);
    } finally {
      await mapped.close();
    }
  });

  it('adds no User-Agent', async () => {
    const pairs = await headersFor(head('GET / HTTP/1.1', 'Host: client.example'));
    expect(names(pairs)).not.toContain('user-agent');
  });

  it("keeps the client's User-Agent", async () => {
    const pairs = await headersFor(
      head('GET / HTTP/1.1', 'Host: client.example', 'User-Agent: probe/1'),
    );
    expect(valuesOf(pairs, 'user-agent')).toEqual(['probe/1']);
  });

  it('re-chunks a chunked body and keeps its Trailer announcement', async () => {
    const pairs = await headersFor(
      head(
        'POST / HTTP/1.1',
        'Host: client.example',
        'Transfer-Encoding: chunked',
        'Trailer: X-Sum',
      ) + '3\r\nabc\r\n',
    );
    expect(valuesOf(pairs, 'transfer-encoding')).toEqual(['chunked']);
    expect(valuesOf(pairs, 'trailer')).toEqual(['X-Sum']);
    expect(names(pairs)).not.toContain('content-length');
  });

  it('keeps transfer codings other than chunked, since the body still carries them', async () => {
    const pairs = await headersFor(
      head('POST / HTTP/1.1', 'Host: client.example', 'Transfer-Encoding: gzip, chunked') +
        '3\r\nabc\r\n',
    );
    expect(valuesOf(pairs, 'transfer-encoding')).toEqual(['gzip, chunked']);
  });

  it("keeps the client's Content-Length", async () => {
    const pairs = await headersFor(
      head('POST / HTTP/1.1', 'Host: client.example', 'Content-Length: 5') + 'hello',
    );
    expect(valuesOf(pairs, 'content-length')).toEqual(['5']);
    expect(names(pairs)).not.toContain('transfer-encoding');
  });

  it.each(['POST', 'PUT', 'PATCH'])(
    'sends Content-Length: 0 for a %s without body',
    async (method) => {
      const pairs = await headersFor(head(`${method} / HTTP/1.1`, 'Host: client.example'));
      expect(valuesOf(pairs, 'content-length')).toEqual(['0']);
      expect(names(pairs)).not.toContain('transfer-encoding');
    },
  );

  it.each(['GET', 'HEAD', 'DELETE', 'OPTIONS'])(
    'adds no framing to a %s without body',
    async (method) => {
      const pairs = await headersFor(head(`${method} / HTTP/1.1`, 'Host: client.example'));
      expect(names(pairs)).not.toContain('content-length');
      expect(names(pairs)).not.toContain('transfer-encoding');
    },
  );
});
