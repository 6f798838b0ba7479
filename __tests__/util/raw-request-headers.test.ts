import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { assertOneHost, forEachRequestHeader } from '../../lib/util/raw-request-headers.js';
import { head, useRequestSource } from '../helpers/exchange.js';

const sourceOf = useRequestSource();

/** What forEachRequestHeader visits, as [lower, name, value] triples. */
function visited(req: http.IncomingMessage): [string, string, string][] {
  const out: [string, string, string][] = [];
  forEachRequestHeader(req, (lower, name, value) => out.push([lower, name, value]));
  return out;
}

/** The visited lines as `Name: value` text, for compact expectations. */
function lines(req: http.IncomingMessage): string[] {
  return visited(req).map(([, name, value]) => `${name}: ${value}`);
}

async function received(...headerLines: string[]): Promise<http.IncomingMessage> {
  return (await sourceOf().send(head('GET / HTTP/1.1', ...headerLines))).req;
}

/** The request a server made with `joinDuplicateHeaders: true` receives for `raw`. */
async function receivedJoining(raw: string): Promise<http.IncomingMessage> {
  const server = http.createServer({ joinDuplicateHeaders: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  try {
    const request = once(server, 'request') as Promise<[http.IncomingMessage]>;
    client.write(raw);
    const [req] = await request;
    return req;
  } finally {
    client.destroy();
    server.closeAllConnections();
    server.close();
  }
}

describe('forEachRequestHeader', () => {
  it("visits the client's lines as sent: names in their case, in order, with the lower-case name", async () => {
    const req = await received('Host: h', 'X-UPPER: 1', 'accept: */*', 'X-Mixed-Case: 2');
    expect(visited(req)).toEqual([
      ['host', 'Host', 'h'],
      ['x-upper', 'X-UPPER', '1'],
      ['accept', 'accept', '*/*'],
      ['x-mixed-case', 'X-Mixed-Case', '2'],
    ]);
  });

  it('keeps a repeated name on separate lines, interleaved as sent (Node joins them in req.headers)', async () => {
    const req = await received(
      'Host: h',
      'X-Stream-Protocol-Version: v5.channel.k8s.io',
      'Accept: a',
      'x-stream-protocol-version: v4.channel.k8s.io',
      'Cookie: a=1',
      'Cookie: b=2',
    );
    expect(req.headers['x-stream-protocol-version']).toBe('v5.channel.k8s.io, v4.channel.k8s.io');
    expect(lines(req)).toEqual([
      'Host: h',
      'X-Stream-Protocol-Version: v5.channel.k8s.io',
      'Accept: a',
      'x-stream-protocol-version: v4.channel.k8s.io',
      'Cookie: a=1',
      'Cookie: b=2',
    ]);
  });

  // Every name Node treats specially (keeps the first line of, joins with `; `, keeps as a list),
  // plus one it joins with `, `: unchanged lines are forwarded as they are. A name whose rule were
  // wrong here would be taken for one a middleware changed, and forwarded as one joined line.
  it.each([
    'Authorization',
    'Proxy-Authorization',
    'User-Agent',
    'Content-Type',
    'Referer',
    'From',
    'Age',
    'ETag',
    'Expires',
    'If-Modified-Since',
    'If-Unmodified-Since',
    'Last-Modified',
    'Location',
    'Max-Forwards',
    'Retry-After',
    'Server',
    'Cookie',
    'Set-Cookie',
    'Accept',
    'X-Custom',
  ])('forwards two unchanged %s lines as two lines', async (name) => {
    const req = await received('Host: h', `${name}: one`, `${name}: two`);
    expect(lines(req)).toEqual(['Host: h', `${name}: one`, `${name}: two`]);
  });

  it('keeps the lines of a server made with joinDuplicateHeaders, which joins every name', async () => {
    const req = await receivedJoining(
      head(
        'GET / HTTP/1.1',
        'Host: h',
        'Authorization: a',
        'Authorization: b',
        'Connection: close',
      ),
    );
    expect(req.headers.authorization).toBe('a, b');
    expect(lines(req)).toEqual([
      'Host: h',
      'Authorization: a',
      'Authorization: b',
      'Connection: close',
    ]);
  });

  it('forwards the value a middleware changed, once, where its first line was', async () => {
    const req = await received('Host: h', 'X-A: 1', 'Accept: a', 'x-a: 2', 'X-B: 3');
    req.headers['x-a'] = 'changed';
    expect(lines(req)).toEqual(['Host: h', 'X-A: changed', 'Accept: a', 'X-B: 3']);
  });

  it('forwards a single line a middleware changed, and a list as one line per item', async () => {
    const req = await received(
      'Host: h',
      'Authorization: Basic eDp5',
      'Cookie: a=1',
      'Cookie: b=2',
    );
    req.headers.authorization = 'Bearer t';
    req.headers.cookie = ['a=1', 'c=3'] as unknown as string;
    expect(lines(req)).toEqual([
      'Host: h',
      'Authorization: Bearer t',
      'Cookie: a=1',
      'Cookie: c=3',
    ]);
  });

  it("takes a joined header set to its first line's value as changed: one line", async () => {
    // A middleware that sets a joined header to its first line's value meant to drop the others.
    const req = await received('Host: h', 'X-A: 1', 'X-A: 2');
    req.headers['x-a'] = '1';
    expect(lines(req)).toEqual(['Host: h', 'X-A: 1']);
  });

  it('drops every line of a header a middleware deleted', async () => {
    const req = await received('Host: h', 'X-Secret: 1', 'Accept: a', 'X-Secret: 2');
    delete req.headers['x-secret'];
    expect(lines(req)).toEqual(['Host: h', 'Accept: a']);
  });

  it("appends a header a middleware added, after the client's, as the middleware named it", async () => {
    const req = await received('Host: h', 'Accept: a', 'Accept: b');
    req.headers['x-user'] = 'alice';
    req.headers['X-Groups'] = ['a', 'b'] as unknown as string;
    expect(visited(req)).toEqual([
      ['host', 'Host', 'h'],
      ['accept', 'Accept', 'a'],
      ['accept', 'Accept', 'b'],
      ['x-user', 'x-user', 'alice'],
      ['x-groups', 'X-Groups', 'a'],
      ['x-groups', 'X-Groups', 'b'],
    ]);
  });

  it('sees a change even when nothing repeats', async () => {
    const req = await received('Host: h', 'X-A: 1');
    req.headers['x-a'] = '2';
    req.headers.accept = 'text/plain';
    expect(lines(req)).toEqual(['Host: h', 'X-A: 2', 'accept: text/plain']);
  });

  it('forwards duplicate lines a middleware did not touch even when it added as many headers', async () => {
    // Two identical Authorization lines: req.headers has one key for two lines; one added key
    // makes the counts equal, which must not pass for "untouched".
    const req = await received('Host: h', 'Authorization: a', 'Authorization: a');
    req.headers['x-added'] = '1';
    expect(lines(req)).toEqual(['Host: h', 'Authorization: a', 'Authorization: a', 'x-added: 1']);
  });
});

describe('assertOneHost', () => {
  it('passes one Host line, names that only contain "host", and no Host at all', async () => {
    const one = await received('Host: a', 'X-Host: b', 'Hosts: c');
    expect(() => assertOneHost(one)).not.toThrow();
    const http10 = (await sourceOf().send(head('GET / HTTP/1.0', 'Accept: */*'))).req;
    expect(() => assertOneHost(http10)).not.toThrow();
  });

  it.each([
    ['Host', 'Host'],
    ['Host', 'host'],
    ['HOST', 'hOsT'],
  ])('refuses two Host lines (%s, %s) with ERR_PROXY_BAD_REQUEST', async (first, second) => {
    const req = await received(`${first}: a`, 'Accept: */*', `${second}: b`);
    expect(req.headers.host).toBe('a'); // Node keeps the first
    expect(() => assertOneHost(req)).toThrow(
      expect.objectContaining({
        code: 'ERR_PROXY_BAD_REQUEST',
        status: 400,
        message: 'too many Host headers',
      }),
    );
  });
});
