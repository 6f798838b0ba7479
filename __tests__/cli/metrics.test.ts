// `--metrics PATH`: the proxy's diagnostics channels counted and served in Prometheus' text format
// 0.0.4 on the proxy's own listener; label values from fixed sets whatever clients send.
import dc from 'node:diagnostics_channel';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { resolveBackend } from '../../lib/cli/backend.js';
import { FlagError } from '../../lib/cli/flag-error.js';
import { parseFlags } from '../../lib/cli/flags.js';
import { listenTcp } from '../../lib/cli/listen.js';
import { createMetrics, errorCode, labelValue, statusClass } from '../../lib/cli/metrics.js';
import type { Metrics } from '../../lib/cli/metrics.js';
import { createCliServer } from '../../lib/cli/server.js';
import { closedPort, rawRequest } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { closeAll, startWsBackend, track, upgradeRequest } from './helpers.js';

afterEach(closeAll);

/** The command-line proxy with `--metrics /metrics`, in this process, as main.ts wires it. */
async function startWithMetrics(target: string) {
  const flags = parseFlags(['--target', target, '--metrics', '/metrics']);
  const backend = await resolveBackend(flags);
  const metrics = createMetrics(flags.metrics);
  const errors: string[] = [];
  const cli = createCliServer(flags, backend, { metrics, error: (line) => errors.push(line) });
  await listenTcp(cli.server, 0, '127.0.0.1');
  const { port } = cli.server.address() as AddressInfo;
  track({ close: async () => (await cli.close(0), metrics.close()) });
  return { port, metrics };
}

const PLAIN = 'Host: 127.0.0.1\r\nConnection: close\r\n\r\n';

/** Sends `request` raw and returns every byte received, so `bytesOut` can be checked exactly. */
async function send(port: number, request: string): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'connect');
  socket.write(request);
  await once(socket, 'close');
  return Buffer.concat(chunks);
}

/** Parses the exposition text strictly: every line a HELP, a TYPE or a sample. */
function samples(text: string): Map<string, number> {
  expect(text.endsWith('\n')).toBe(true);
  const values = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const type = /^# TYPE (\w+) (counter|gauge|histogram)$/.exec(line);
    if (type) typed.add(type[1]!);
    if (line.startsWith('#')) {
      expect(line).toMatch(/^# (HELP \w+ \S.*|TYPE \w+ (counter|gauge|histogram))$/);
      continue;
    }
    const sample = /^(\w+)(\{(?:\w+="(?:[^"\\\n]|\\.)*",?)*\})? (-?[\d.e+]+)$/.exec(line);
    expect(sample).not.toBeNull();
    const family = sample![1]!.replace(/_(bucket|sum|count)$/, '');
    expect(typed.has(sample![1]!) || typed.has(family)).toBe(true);
    values.set(sample![1]! + (sample![2] ?? ''), Number(sample![3]));
  }
  return values;
}

const P = 'upgrade_aware_proxy_';

async function scrape(metrics: Metrics): Promise<Map<string, number>> {
  return samples(metrics.text());
}

describe('createMetrics', () => {
  it('counts requests by method and status class, body bytes in and every byte out', async () => {
    const backend = await startWsBackend((req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : 200;
      req.resume();
      req.on('end', () => res.end('body'));
    });
    const { port, metrics } = await startWithMetrics(backend.url);
    const out = [
      await send(port, `GET /ok HTTP/1.1\r\n${PLAIN}`),
      await send(port, `GET /missing HTTP/1.1\r\n${PLAIN}`),
      await send(port, `POST /up HTTP/1.1\r\nContent-Length: 11\r\n${PLAIN}hello world`),
      await send(port, `PROPFIND /dav HTTP/1.1\r\n${PLAIN}`),
    ];
    await waitFor(
      async () => (await scrape(metrics)).get(`${P}request_duration_seconds_count`) === 4,
      'four requests counted',
    );
    const seen = await scrape(metrics);
    expect(seen.get(`${P}requests_total{method="GET",status_class="2xx"}`)).toBe(1);
    expect(seen.get(`${P}requests_total{method="GET",status_class="4xx"}`)).toBe(1);
    expect(seen.get(`${P}requests_total{method="POST",status_class="2xx"}`)).toBe(1);
    expect(seen.get(`${P}requests_total{method="other",status_class="2xx"}`)).toBe(1);
    expect(seen.get(`${P}request_received_bytes_total`)).toBe(11);
    expect(seen.get(`${P}request_sent_bytes_total`)).toBe(
      out.reduce((sum, bytes) => sum + bytes.length, 0),
    );
    expect(seen.get(`${P}requests_aborted_total`)).toBe(0);
    expect(seen.get(`${P}request_duration_seconds_bucket{le="+Inf"}`)).toBe(4);
    expect(seen.get(`${P}request_duration_seconds_bucket{le="10"}`)).toBe(4);
  });

  it('counts a tunnel open, then closed with its bytes each way and who closed it', async () => {
    const backend = await startWsBackend();
    const { port, metrics } = await startWithMetrics(backend.url);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.write(upgradeRequest('/ws', '127.0.0.1'));
    await once(socket, 'data'); // the 101
    const opened = await scrape(metrics);
    expect(opened.get(`${P}tunnels_open`)).toBe(1);
    expect(opened.get(`${P}tunnels_total`)).toBe(1);
    expect(opened.get(`${P}requests_total{method="GET",status_class="1xx"}`)).toBe(1);
    // One masked text frame of 2 bytes ("hi"); the answer `echo:hi` comes back unmasked.
    socket.write(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]));
    await once(socket, 'data');
    socket.destroy();
    await waitFor(async () => (await scrape(metrics)).get(`${P}tunnels_open`) === 0, 'the close');
    const closed = await scrape(metrics);
    expect(closed.get(`${P}tunnels_closed_total{closed_by="client"}`)).toBe(1);
    expect(closed.get(`${P}tunnel_received_bytes_total`)).toBe(8);
    expect(closed.get(`${P}tunnel_sent_bytes_total`)).toBe(2 + 'echo:hi'.length);
  });

  it('counts errors by code, and the answer the responder sent', async () => {
    const { port, metrics } = await startWithMetrics(`http://127.0.0.1:${await closedPort()}`);
    const answer = await rawRequest(port, `GET /x HTTP/1.1\r\n${PLAIN}`);
    await waitFor(
      async () => (await scrape(metrics)).get(`${P}request_duration_seconds_count`) === 1,
      'the request counted',
    );
    const seen = await scrape(metrics);
    const errors = [...seen].filter(([name]) => name.startsWith(`${P}errors_total{`));
    expect(errors).toEqual([[expect.stringMatching(/^\w+\{code="ERR_PROXY_[A-Z_]+"\}$/), 1]]);
    expect(String(answer.status)[0]).toBe('5');
    expect(seen.get(`${P}requests_total{method="GET",status_class="5xx"}`)).toBe(1);
  });

  it('ignores messages of another shape that anyone may publish on the public names', async () => {
    const metrics = createMetrics('/metrics');
    try {
      for (const name of ['request:end', 'request:error', 'tunnel:open', 'tunnel:close']) {
        const channel = dc.channel(`upgrade-aware-proxy:${name}`);
        const hostile = {
          get req(): never {
            throw new Error('a getter that throws');
          },
        };
        for (const message of [null, 1, 'x', { req: null, status: -5, bytesIn: 'many' }, hostile])
          channel.publish(message);
      }
      await new Promise((resolve) => setImmediate(resolve)); // where a subscriber's throw would land
      const seen = await scrape(metrics);
      expect(seen.get(`${P}request_received_bytes_total`)).toBe(0);
      expect(seen.get(`${P}errors_total{code="other"}`)).toBe(5);
      expect(seen.get(`${P}requests_total{method="other",status_class="none"}`)).toBe(4);
    } finally {
      metrics.close();
    }
  });
});

describe('the metrics path', () => {
  it('answers GET and HEAD with the text format, a query ignored; 405 otherwise; never the backend', async () => {
    const backend = await startWsBackend();
    const seen: string[] = [];
    backend.server.prependListener('request', (req) => seen.push(req.url ?? ''));
    const { port } = await startWithMetrics(backend.url);
    const get = await rawRequest(port, `GET /metrics?x=1 HTTP/1.1\r\n${PLAIN}`);
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toEqual(['text/plain; version=0.0.4; charset=utf-8']);
    expect(samples(get.body.toString()).get(`${P}tunnels_open`)).toBe(0);
    const head = await rawRequest(port, `HEAD /metrics HTTP/1.1\r\n${PLAIN}`);
    expect([head.status, head.body.length]).toEqual([200, 0]);
    expect(head.headers['content-length']).toEqual(get.headers['content-length']);
    const post = await rawRequest(port, `POST /metrics HTTP/1.1\r\n${PLAIN}`);
    expect([post.status, post.headers.allow]).toEqual([405, ['GET, HEAD']]);
    expect(seen).toEqual([]);
    await rawRequest(port, `GET /metrics/more HTTP/1.1\r\n${PLAIN}`);
    expect(seen).toEqual(['/metrics/more']);
  });
});

describe('--metrics', () => {
  it('is off by default and takes a path', () => {
    expect(parseFlags([]).metrics).toBe('');
    expect(parseFlags(['--metrics', '/_/metrics']).metrics).toBe('/_/metrics');
  });

  it.each(['metrics', '/a?b', '/a#b', '/a b', '/a\x01'])('refuses %j', (value) => {
    expect(() => parseFlags(['--metrics', value])).toThrow(FlagError);
  });
});

describe('label values', () => {
  it('escapes backslash, double quote and newline', () => {
    expect(labelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it.each([
    [101, '1xx'],
    [204, '2xx'],
    [599, '5xx'],
    [0, 'none'],
    [600, 'none'],
    ['200', 'none'],
  ])('puts status %j in class %s', (status, name) => {
    expect(statusClass(status)).toBe(name);
  });

  it.each([
    [{ code: 'ERR_PROXY_DIAL' }, 'ERR_PROXY_DIAL'],
    [{ code: 'ECONNRESET' }, 'other'],
    [{ code: 'ERR_' + 'X'.repeat(100) }, 'other'],
    [new Error('no code'), 'other'],
  ])('labels error %j as %s', (error, code) => {
    expect(errorCode(error)).toBe(code);
  });
});
