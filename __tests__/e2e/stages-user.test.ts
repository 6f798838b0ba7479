import { Readable } from 'node:stream';
import http from 'node:http';
import net from 'node:net';
import { ProxyError } from '../../lib/errors/proxy-error.js';
import type {
  ProxyExchange,
  ProxyStages,
  RequestStage,
  ResponseStage,
} from '../../lib/types/stages.js';
import { CLEARTEXT_KINDS, through, type Through } from '../helpers/transports.js';
import {
  listen,
  rawExchange,
  request,
  startProxy,
  startRecorder,
  type Running,
} from '../helpers/servers.js';
import { closeWebSockets, openWebSocket } from '../helpers/websockets.js';
import { WebSocketServer } from 'ws';

/** The request lines a backend saw, as [name, value] pairs in wire order. */
function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

const echo: http.RequestListener = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.setHeader(
      'x-seen',
      JSON.stringify({ method: req.method, url: req.url, raw: req.rawHeaders }),
    );
    res.end(Buffer.concat(chunks));
  });
};

function seenOf(headers: http.IncomingHttpHeaders): { method: string; url: string; raw: string[] } {
  return JSON.parse(String(headers['x-seen'])) as { method: string; url: string; raw: string[] };
}

afterEach(closeWebSockets);

describe.each(CLEARTEXT_KINDS)('user request stages through $name', (kind) => {
  let running: Through | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("see the target and Host, change method, path and headers; hop-by-hop and X-Forwarded-For are the proxy's after them", async () => {
    let saw:
      { path: string; host: string | undefined; location: string; isUpgrade: boolean } | undefined;
    const stage: RequestStage = (ex) => {
      saw = {
        path: ex.path,
        host: ex.headers.get('host'),
        location: ex.location.href,
        isUpgrade: ex.isUpgrade,
      };
      ex.method = 'PUT';
      ex.path = '/changed?x=1';
      ex.headers.set('x-tenant', 'a');
      ex.headers.delete('cookie');
      ex.headers.set('x-forwarded-for', '10.0.0.1');
      ex.headers.set('connection', 'x-secret');
      ex.headers.set('x-secret', 'hop');
    };
    running = await through(kind, echo, { stages: { request: [stage] }, useRequestLocation: true });
    const answer = await request(`${running.proxy.url}/orig?q=2`, {
      headers: { cookie: 'a=b', host: 'client.example' },
    });
    expect(answer.status).toBe(200);
    expect(saw).toEqual({
      path: '/orig?q=2',
      host: 'client.example',
      location: `${running.backend.url}/`,
      isUpgrade: false,
    });
    const seen = seenOf(answer.headers);
    expect([seen.method, seen.url]).toEqual(['PUT', '/changed?x=1']);
    const names = pairs(seen.raw).map(([n]) => n.toLowerCase());
    expect(names).toContain('x-tenant');
    expect(names).not.toContain('cookie');
    expect(names).not.toContain('x-secret');
    expect(pairs(seen.raw).filter(([n]) => n.toLowerCase() === 'x-forwarded-for')).toEqual([
      ['X-Forwarded-For', '10.0.0.1, 127.0.0.1'],
    ]);
  });

  it('cannot change the framing: a wrong Content-Length from a stage is replaced by the true one', async () => {
    const stage: RequestStage = (ex) => {
      ex.headers.set('content-length', '2');
      ex.headers.set('transfer-encoding', 'chunked');
    };
    running = await through(kind, echo, { stages: { request: [stage] } });
    const answer = await request(`${running.proxy.url}/`, { method: 'POST', body: 'hello world' });
    expect(answer.body.toString()).toBe('hello world');
    const lengths = pairs(seenOf(answer.headers).raw).filter(([n]) =>
      /^content-length$|^transfer-encoding$/i.test(n),
    );
    // undici writes the length line itself, in lower case
    expect(lengths.map(([n, v]) => [n.toLowerCase(), v])).toEqual([['content-length', '11']]);
  });

  it('answers the client itself by returning true: nothing reaches the backend', async () => {
    let called = 0;
    running = await through(
      kind,
      (req, res) => {
        called++;
        echo(req, res);
      },
      {
        stages: {
          request: [
            async (ex) => {
              ex.res.statusCode = 401;
              ex.res.end('no');
              return true;
            },
            () => {
              throw new Error('never run');
            },
          ],
        },
      },
    );
    const answer = await request(`${running.proxy.url}/`);
    expect([answer.status, answer.body.toString(), called]).toEqual([401, 'no', 0]);
  });
});

describe('user request stages: errors', () => {
  it.each<[string, RequestStage, number, string]>([
    [
      'a thrown Error as ERR_PROXY_STAGE',
      () => {
        throw new Error('boom');
      },
      500,
      'error in stage: boom',
    ],
    [
      'a rejection as ERR_PROXY_STAGE',
      () => Promise.reject(new TypeError('late')),
      500,
      'error in stage: late',
    ],
    [
      'a ProxyError as it is',
      () => {
        throw new ProxyError('ERR_PROXY_BAD_REQUEST', 'nope');
      },
      400,
      'nope',
    ],
    [
      'a header value with a line break',
      (ex) => ex.headers.set('x-a', 'a\r\nX-Injected: 1'),
      500,
      'error in stage',
    ],
    [
      'a path with a space',
      (ex) => {
        ex.path = '/a b';
      },
      500,
      'error in stage: invalid request target',
    ],
  ])(
    'sends %s to the responder, and nothing to the backend',
    async (_what, stage, status, text) => {
      const backend = await startRecorder();
      const errors: Error[] = [];
      const proxy = await startProxy({
        location: backend.url,
        stages: { request: [stage] },
        responder: (err, _req, res) => {
          errors.push(err);
          res.statusCode = (err as ProxyError).status;
          res.end(err.message);
        },
      });
      try {
        const answer = await request(`${proxy.url}/`);
        expect(answer.status).toBe(status);
        expect(answer.body.toString()).toContain(text);
        expect(backend.seen).toHaveLength(0);
        expect(errors).toHaveLength(1);
      } finally {
        await proxy.close();
        await backend.close();
      }
    },
  );
});

describe('user response stages', () => {
  let running: Through | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  const kind = CLEARTEXT_KINDS[0]!;

  it('change status and headers, and run after hop-by-hop removal', async () => {
    const seenHeaders: string[][] = [];
    const stage: ResponseStage = (_ex, res) => {
      seenHeaders.push([...res.headers].map(([n]) => n));
      res.status = 203;
      res.headers.set('x-added', 'yes');
      res.headers.delete('x-drop');
      res.headers.append('connection', 'x-hop');
      res.headers.set('x-hop', 'no');
    };
    running = await through(
      kind,
      (_req, res) => {
        res.setHeader('x-drop', '1');
        res.setHeader('connection', 'x-private');
        res.setHeader('x-private', 'p');
        res.end('body');
      },
      { stages: { response: [stage] } },
    );
    const answer = await request(`${running.proxy.url}/`);
    expect(answer.status).toBe(203);
    expect(answer.headers['x-added']).toBe('yes');
    expect(answer.headers['x-drop']).toBeUndefined();
    expect(answer.headers['x-hop']).toBeUndefined();
    expect(seenHeaders[0]).not.toContain('x-private');
    expect(answer.body.toString()).toBe('body');
  });

  it('cannot undo rejectForwardingRedirects', async () => {
    running = await through(kind, (_req, res) => res.end('fine'), {
      rejectForwardingRedirects: true,
      stages: {
        response: [
          (_ex, res) => {
            res.status = 302;
            res.headers.set('location', 'http://evil.example/');
          },
        ],
      },
    });
    const answer = await request(`${running.proxy.url}/`);
    expect(answer.status).toBe(502);
    expect(answer.headers.location).toBeUndefined();
  });

  it('replace the body, or return a whole new response; async stages are awaited in order', async () => {
    running = await through(kind, (_req, res) => res.end('backend'), {
      stages: {
        response: [
          async (_ex, res) => {
            res.headers.delete('content-length');
            res.body = Readable.from([Buffer.from('first ')]);
          },
          (_ex, res) => ({
            status: 200,
            statusMessage: 'Fine',
            headers: res.headers,
            body: Readable.from([Buffer.from('second')]),
          }),
        ],
      },
    });
    const answer = await rawExchange(
      running.proxy.port,
      'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    );
    expect(answer.head.split('\r\n')[0]).toBe('HTTP/1.1 200 Fine');
    expect(answer.body.toString()).toBe('second');
  });

  it('a replaced body longer than the Content-Length left in place fails the response instead of desynchronising the connection', async () => {
    running = await through(kind, (_req, res) => res.end('12345'), {
      stages: {
        response: [(_ex, res) => void (res.body = Readable.from([Buffer.from('1234567890')]))],
      },
    });
    // Two requests pipelined on one connection: the extra bytes must never reach the wire, where
    // the client would read them as the start of the second response.
    const socket = net.connect(running.proxy.port, '127.0.0.1');
    // No FIN: the proxy takes a client's FIN for its leaving. The second asks to close.
    socket.write(
      'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    );
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Buffer.concat(chunks).toString('latin1')).not.toContain('67890');
  });

  it('a throw goes to the responder, and the backend body is released', async () => {
    running = await through(kind, (_req, res) => res.end('x'), {
      stages: {
        response: [
          () => {
            throw new Error('bad');
          },
        ],
      },
    });
    const answer = await request(`${running.proxy.url}/`);
    expect(answer.body.toString()).toContain('error in stage: bad');
    expect(answer.status).toBe(500);
  });
});

/** A backend that `setup` wires, and the proxy in front of it with `stages`. */
async function upgradesThrough(
  setup: (backend: http.Server) => void,
  stages: ProxyStages,
): Promise<{ proxy: Running; close(): Promise<void> }> {
  const server = http.createServer();
  setup(server);
  const backend = await listen(server);
  const proxy = await startProxy({ location: backend.url, stages });
  return {
    proxy,
    async close() {
      await proxy.close();
      await backend.close();
    },
  };
}

const UPGRADE = 'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';

describe('user stages on upgrades', () => {
  it('request stages run with isUpgrade and can change headers; response stages never run', async () => {
    const heard: string[] = [];
    let upgrade: boolean | undefined;
    let responses = 0;
    let wss: WebSocketServer | undefined;
    const running = await upgradesThrough(
      (backend) => {
        wss = new WebSocketServer({ server: backend });
        wss.on('connection', (ws, req) => {
          heard.push(String(req.headers['x-tenant']));
          ws.on('message', () => ws.send('hi'));
        });
      },
      {
        request: [
          (ex: ProxyExchange) => {
            upgrade = ex.isUpgrade;
            ex.headers.set('x-tenant', 't1');
          },
        ],
        response: [() => void responses++],
      },
    );
    try {
      const ws = await openWebSocket(`ws://127.0.0.1:${running.proxy.port}/`);
      ws.send('ping');
      const [message] = (await new Promise((resolve) =>
        ws.once('message', (data) => resolve([data as Buffer])),
      )) as [Buffer];
      expect(String(message)).toBe('hi');
      expect([upgrade, heard, responses]).toEqual([true, ['t1'], 0]);
    } finally {
      wss?.close();
      await running.close();
    }
  });

  it('a request stage refuses an upgrade through ex.res: the backend is never dialled', async () => {
    let dialled = 0;
    const running = await upgradesThrough((backend) => backend.on('connection', () => dialled++), {
      request: [
        (ex) => {
          ex.res.statusCode = 403;
          ex.res.end('forbidden');
          return true;
        },
      ],
    });
    try {
      const answer = await rawExchange(running.proxy.port, UPGRADE + 'EARLY');
      expect(answer.head.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 403/);
      expect(answer.body.toString()).toBe('forbidden');
      expect(dialled).toBe(0);
    } finally {
      await running.close();
    }
  });

  it("cannot change an upgrade's framing: Content-Length and Transfer-Encoding stay the client's", async () => {
    const heard: http.IncomingHttpHeaders[] = [];
    const running = await upgradesThrough(
      (backend) =>
        backend.on('upgrade', (req, socket) => {
          heard.push(req.headers);
          socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        }),
      {
        request: [
          (ex) => {
            ex.headers.set('content-length', '5');
            ex.headers.set('transfer-encoding', 'chunked');
          },
        ],
      },
    );
    try {
      const answer = await rawExchange(running.proxy.port, UPGRADE + 'SMUGGLED');
      expect(answer.status).toBe(403);
      expect(heard).toHaveLength(1);
      expect([heard[0]!['content-length'], heard[0]!['transfer-encoding']]).toEqual([
        undefined,
        undefined,
      ]);
    } finally {
      await running.close();
    }
  });
});
