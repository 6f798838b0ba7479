// The access log: one line per request and per tunnel, with per-exchange byte counts and the path
// as the client wrote it, escaped so that no request can forge a line.
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAccessLog, duration, printable } from '../../lib/cli/access-log.js';
import type { AccessLog } from '../../lib/cli/access-log.js';
import { listen, rawRequest } from '../helpers/servers.js';
import { KeepAliveClient, closeAll, track, waitForLength } from './helpers.js';

afterEach(closeAll);

const STAMP = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
const DURATION = String.raw`\d+\.\d(?:ms)|\d+\.\d\ds`;

/** Splits a line into its fields after the timestamp; checks the timestamp and the newline. */
function fields(line: string): string[] {
  expect(line).toMatch(new RegExp(`^${STAMP} `));
  expect(line.endsWith('\n')).toBe(true);
  expect(line.indexOf('\n')).toBe(line.length - 1);
  return line.slice(0, -1).split(' ').slice(1);
}

const numberOf = (field: string, name: string): number => {
  const match = new RegExp(`^${name}=(\\d+)$`).exec(field);
  if (!match) throw new Error(`${JSON.stringify(field)} is not ${name}=N`);
  return Number(match[1]);
};

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, log: AccessLog) => void;
type UpgradeHandler = (
  req: http.IncomingMessage,
  socket: Duplex,
  log: AccessLog,
  head: Buffer,
) => void;

/** A server that logs every request (and upgrade) into `lines`, then hands it to the handler. */
async function startLogged(handler: Handler, onUpgrade?: UpgradeHandler) {
  const lines: string[] = [];
  const log = createAccessLog((line) => lines.push(line));
  const server = http.createServer((req, res) => handler(req, res, log));
  if (onUpgrade) {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      onUpgrade(req, socket, log, head);
    });
  }
  const running = track(await listen(server));
  return Object.assign(running, { lines });
}

const hello: Handler = (req, res, log) => {
  log.request(req, res);
  res.setHeader('Content-Length', 5);
  res.end('hello');
};

describe('printable', () => {
  it('keeps ordinary path characters, percent-escapes and non-ASCII text as written', () => {
    expect(printable('/api/v1/pods?watch=1&x=%0a%20')).toBe('/api/v1/pods?watch=1&x=%0a%20');
    expect(printable('/é/ü')).toBe('/é/ü');
  });

  it.each([
    ['/a b', String.raw`/a\x20b`],
    ['/a\nb', String.raw`/a\x0ab`],
    ['/a\r\nb', String.raw`/a\x0d\x0ab`],
    ['/a\tb', String.raw`/a\x09b`],
    ['/a\0b', String.raw`/a\x00b`],
    ['/a\x1bb', String.raw`/a\x1bb`],
    ['/a\x7fb', String.raw`/a\x7fb`],
    ['/a\u0085b', String.raw`/a\x85b`],
    ['/a\\x0ab', String.raw`/a\x5cx0ab`],
  ])('escapes %j as %s', (text, shown) => {
    expect(printable(text)).toBe(shown);
  });
});

describe('duration', () => {
  it.each([
    [0, '0.0ms'],
    [3.2, '3.2ms'],
    [0.04, '0.0ms'],
    [999.9, '999.9ms'],
    [1000, '1.00s'],
    [12510, '12.51s'],
    [61000, '61.00s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});

describe('createAccessLog', () => {
  describe('request', () => {
    it('writes one line with address, method, path, status, exact byte counts and duration', async () => {
      const server = await startLogged(hello);
      const request =
        'GET /api/v1/pods?watch=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
      const client = connect(server.port, '127.0.0.1');
      const received: Buffer[] = [];
      client.on('data', (chunk: Buffer) => received.push(chunk));
      await once(client, 'connect');
      client.end(request);
      await once(client, 'close');
      await waitForLength(server.lines, 1);
      expect(server.lines).toHaveLength(1);
      const [who, method, path, status, bytesIn, bytesOut, took, ...rest] = fields(
        server.lines[0]!,
      );
      expect([who, method, path, status]).toEqual([
        '127.0.0.1',
        'GET',
        '/api/v1/pods?watch=1',
        '200',
      ]);
      expect(numberOf(bytesIn!, 'in')).toBe(Buffer.byteLength(request));
      expect(numberOf(bytesOut!, 'out')).toBe(Buffer.concat(received).length);
      expect(took).toMatch(new RegExp(`^(?:${DURATION})$`));
      expect(rest).toEqual([]);
    });

    it('logs the path as the client wrote it: %0a stays %0a', async () => {
      const server = await startLogged(hello);
      await rawRequest(
        server.port,
        'GET /a%0aforged%20line HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      await waitForLength(server.lines, 1);
      expect(fields(server.lines[0]!).slice(1, 3)).toEqual(['GET', '/a%0aforged%20line']);
    });

    it('escapes a backslash, so a literal `\\x0a` in a path cannot pass for an escaped newline', async () => {
      const server = await startLogged(hello);
      await rawRequest(
        server.port,
        'GET /a\\x0ab HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      await waitForLength(server.lines, 1);
      expect(fields(server.lines[0]!)[2]).toBe(String.raw`/a\x5cx0ab`);
    });

    it('never logs a request line with a raw control character: Node answers 400 before the handler', async () => {
      const server = await startLogged(hello);
      const answer = await rawRequest(
        server.port,
        Buffer.from('GET /a\x01b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'),
      );
      expect(answer.status).toBe(400);
      // A request that is logged afterwards proves the log had its chance to write.
      await rawRequest(server.port, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await waitForLength(server.lines, 1);
      expect(server.lines).toHaveLength(1);
      expect(fields(server.lines[0]!)[2]).toBe('/after');
    });

    it('escapes a control character in the URL it was given, keeping one line', async () => {
      const server = await startLogged((req, res, log) => {
        req.url = '/a\nGET /forged 200 in=1 out=1 1.0ms\r';
        hello(req, res, log);
      });
      await rawRequest(server.port, 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await waitForLength(server.lines, 1);
      const line = server.lines[0]!;
      expect(line.split('\n')).toHaveLength(2);
      expect(line).not.toContain('\r');
      expect(fields(line)[2]).toBe(
        String.raw`/a\x0aGET\x20/forged\x20200\x20in=1\x20out=1\x201.0ms\x0d`,
      );
    });

    it('logs the URL as it arrived, not as a later handler rewrote it', async () => {
      const server = await startLogged((req, res, log) => {
        log.request(req, res);
        req.url = '/rewritten';
        res.end('ok');
      });
      await rawRequest(
        server.port,
        'GET /custom/original?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      await waitForLength(server.lines, 1);
      expect(fields(server.lines[0]!)[2]).toBe('/custom/original?q=1');
    });

    it('counts each request of a keep-alive connection on its own', async () => {
      const server = await startLogged(hello);
      const client = new KeepAliveClient(server.port);
      try {
        const first = 'GET /first HTTP/1.1\r\nHost: x\r\n\r\n';
        const second =
          'POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nX-Padding: some more bytes\r\n\r\nhello world';
        const answer1 = await client.exchange(first);
        // The first line is out before the second request is sent, so the counts cannot overlap.
        await waitForLength(server.lines, 1);
        const answer2 = await client.exchange(second);
        await waitForLength(server.lines, 2);
        const [line1, line2] = server.lines.map(fields);
        expect(line1!.slice(1, 4)).toEqual(['GET', '/first', '200']);
        expect(numberOf(line1![4]!, 'in')).toBe(Buffer.byteLength(first));
        expect(numberOf(line1![5]!, 'out')).toBe(answer1.length);
        expect(line2!.slice(1, 4)).toEqual(['POST', '/second', '200']);
        expect(numberOf(line2![4]!, 'in')).toBe(Buffer.byteLength(second));
        expect(numberOf(line2![5]!, 'out')).toBe(answer2.length);
      } finally {
        client.destroy();
      }
    });

    // undici, given the request as a body, sets `req.socket = null` when it is done with it.
    it('counts a request read to its end and let go of as undici does', async () => {
      const server = await startLogged((req, res, log) => {
        log.request(req, res);
        req.resume();
        req.on('end', () => {
          (req as { socket: unknown }).socket = null;
          res.end('read');
        });
      });
      const request = `POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n${'b'.repeat(2000)}`;
      const answer = await rawRequest(server.port, request);
      expect(answer.body.toString()).toBe('read');
      await waitForLength(server.lines, 1);
      expect(numberOf(fields(server.lines[0]!)[4]!, 'in')).toBe(Buffer.byteLength(request));
    });

    it('writes `-` and `aborted` when the client leaves before any answer', async () => {
      let arrived!: () => void;
      const seen = new Promise<void>((resolve) => (arrived = resolve));
      const server = await startLogged((req, res, log) => {
        log.request(req, res);
        arrived();
      });
      const client = connect(server.port, '127.0.0.1');
      client.on('error', () => {});
      client.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      await seen;
      client.destroy();
      await waitForLength(server.lines, 1);
      const line = fields(server.lines[0]!);
      expect(line.slice(0, 4)).toEqual(['127.0.0.1', 'GET', '/slow', '-']);
      expect(line.at(-1)).toBe('aborted');
    });

    it('writes the status and `aborted` when the client leaves in the middle of the body', async () => {
      let started!: () => void;
      const headSent = new Promise<void>((resolve) => (started = resolve));
      const server = await startLogged((req, res, log) => {
        log.request(req, res);
        res.writeHead(200, { 'Content-Length': 100 });
        res.write('part', () => started());
      });
      const client = connect(server.port, '127.0.0.1');
      client.on('error', () => {});
      client.write('GET /partial HTTP/1.1\r\nHost: x\r\n\r\n');
      await headSent;
      client.destroy();
      await waitForLength(server.lines, 1);
      const line = fields(server.lines[0]!);
      expect(line.slice(0, 4)).toEqual(['127.0.0.1', 'GET', '/partial', '200']);
      expect(line.at(-1)).toBe('aborted');
    });
  });

  describe('tunnel', () => {
    const SWITCH =
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n';

    /**
     * Upgrades accepted with 101, then every byte echoed, those read with the head first. The
     * switch is told on `tunnel:open`, as the proxy tells it.
     */
    const echo: UpgradeHandler = (req, socket, log, head) => {
      log.tunnel(req, socket);
      socket.write(SWITCH);
      dc.channel('upgrade-aware-proxy:tunnel:open').publish({ req, status: 101, ms: 0 });
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    };

    it('writes one `101 tunnel` line with the bytes of the whole connection when it closes', async () => {
      const server = await startLogged(hello, echo);
      const request =
        'GET /ws?x=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n';
      const client = connect(server.port, '127.0.0.1');
      const received: Buffer[] = [];
      client.on('data', (chunk: Buffer) => received.push(chunk));
      await once(client, 'connect');
      client.write(request);
      client.write('ping pong');
      while (Buffer.concat(received).length < SWITCH.length + 9) await once(client, 'data');
      client.end();
      await once(client, 'close');
      await waitForLength(server.lines, 1);
      const [who, method, path, status, kind, bytesIn, bytesOut, took] = fields(server.lines[0]!);
      expect([who, method, path, status, kind]).toEqual([
        '127.0.0.1',
        'GET',
        '/ws?x=1',
        '101',
        'tunnel',
      ]);
      expect(numberOf(bytesIn!, 'in')).toBe(Buffer.byteLength(request) + 9);
      expect(numberOf(bytesOut!, 'out')).toBe(Buffer.concat(received).length);
      expect(took).toMatch(new RegExp(`^(?:${DURATION})$`));
    });

    // The answer is written with `socket.end(data)`, as server.ts answers a filtered upgrade.
    it('writes the status the server says it answered an upgrade with', async () => {
      const server = await startLogged(hello, (req, socket, log) => {
        log.tunnel(req, socket);
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        log.answered(req, 403);
      });
      const answer = await rawRequest(
        server.port,
        'GET /denied HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
      );
      expect(answer.status).toBe(403);
      await waitForLength(server.lines, 1);
      expect(fields(server.lines[0]!).slice(1, 5)).toEqual(['GET', '/denied', '403', 'tunnel']);
    });

    it('takes the status from the proxy: 101 on tunnel:open, else request:end', async () => {
      const server = await startLogged(hello, (req, socket, log) => {
        log.tunnel(req, socket);
        const status = req.url === '/open' ? 101 : 502;
        socket.end(`HTTP/1.1 ${status} Whatever\r\n\r\n`);
        if (status === 101) dc.channel('upgrade-aware-proxy:tunnel:open').publish({ req, status });
        // As the proxy does: from a 'close' listener added after the log's own.
        else
          socket.once('close', () =>
            dc.channel('upgrade-aware-proxy:request:end').publish({ req, status }),
          );
        // Messages of another shape, as anyone may publish on these names, change nothing.
        dc.channel('upgrade-aware-proxy:request:end').publish(null);
        dc.channel('upgrade-aware-proxy:request:end').publish({
          get req(): never {
            throw new Error('a getter that throws');
          },
        });
        dc.channel('upgrade-aware-proxy:request:end').publish({ req, status: 'x' });
      });
      for (const path of ['/open', '/refused']) {
        await rawRequest(
          server.port,
          `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`,
        );
      }
      await waitForLength(server.lines, 2);
      expect(server.lines.map((line) => fields(line).slice(2, 5))).toEqual([
        ['/open', '101', 'tunnel'],
        ['/refused', '502', 'tunnel'],
      ]);
    });

    it('writes `-` when nothing was answered', async () => {
      const server = await startLogged(hello, (req, socket, log) => {
        log.tunnel(req, socket);
        socket.destroy();
      });
      const client = connect(server.port, '127.0.0.1');
      client.on('error', () => {});
      client.write(
        'GET /dropped HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
      );
      await once(client, 'close');
      await waitForLength(server.lines, 1);
      expect(fields(server.lines[0]!).slice(0, 5)).toEqual([
        '127.0.0.1',
        'GET',
        '/dropped',
        '-',
        'tunnel',
      ]);
    });

    it('counts only the tunnel after a keep-alive request on the same connection', async () => {
      const server = await startLogged(hello, echo);
      const client = new KeepAliveClient(server.port);
      try {
        await client.exchange(
          'GET /before HTTP/1.1\r\nHost: x\r\nX-Padding: 0123456789012345678901234567890123456789\r\n\r\n',
        );
        await waitForLength(server.lines, 1);
        const upgrade =
          'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n';
        const switched = await client.exchange(upgrade);
        expect(switched.toString('latin1')).toBe(SWITCH);
        client.raw.end();
        await once(client.raw, 'close');
        await waitForLength(server.lines, 2);
        const tunnel = fields(server.lines[1]!);
        expect(tunnel.slice(0, 5)).toEqual(['127.0.0.1', 'GET', '/ws', '101', 'tunnel']);
        expect(numberOf(tunnel[5]!, 'in')).toBe(Buffer.byteLength(upgrade));
        expect(numberOf(tunnel[6]!, 'out')).toBe(SWITCH.length);
      } finally {
        client.destroy();
      }
    });
  });
});
