// The command-line proxy's server, built from a command line as main.ts builds it: kubectl's
// proxy_server_test.go (kubectl's TestFileServing, TestAPIRequests, TestPathHandling), the filter on
// plain requests and upgrades, the bearer token, the responder, the access log and close().
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  closedPort,
  rawRequest,
  request,
  startRecorder,
  startUpstream,
} from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import {
  closeAll,
  closeWs,
  startCli,
  startTlsWsBackend,
  startWsBackend,
  tempDir,
  track,
  upgradeRequest,
  waitForLength,
  wsRoundTrip,
} from './helpers.js';
import type { RunningCli } from './helpers.js';

afterEach(closeAll);

const STAMP = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
const DURATION = String.raw`\d+\.\d(?:ms|\ds)`;
const EXEC = '/api/v1/namespaces/default/pods/x/exec';

/** kubectl's TestAPIRequests backend: `<method> <request-URI> <body>`. */
async function startEcho(): Promise<Running> {
  return track(
    await startUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`));
    }),
  );
}

/** kubectl's TestPathHandling backend: the request's path. */
async function startPathEcho(): Promise<Running> {
  return track(
    await startUpstream((req, res) => res.end(new URL(req.url ?? '/', 'http://x').pathname)),
  );
}

/** A raw GET of `path` with the given Host and Connection: close. */
function rawGet(port: number, path: string, host: string, extra = '') {
  return rawRequest(
    port,
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`,
  );
}

/** Parses an access-log line into its fields after the timestamp. */
function fields(line: string): string[] {
  expect(line).toMatch(new RegExp(`^${STAMP} \\S+ \\S+ \\S+ .*\\n$`));
  return line.slice(0, -1).split(' ').slice(1);
}

const numberOf = (field: string | undefined, name: string): number => {
  const match = new RegExp(`^${name}=(\\d+)$`).exec(field ?? '');
  if (!match) throw new Error(`${JSON.stringify(field)} is not ${name}=N`);
  return Number(match[1]);
};

describe('kubectl proxy_server_test.go', () => {
  it('TestFileServing: --www DIR --www-prefix /foo/ serves /foo/test.txt', async () => {
    const dir = await tempDir('cli-data-');
    await writeFile(join(dir, 'test.txt'), 'This is test data');
    const backend = await startEcho();
    const proxy = await startCli(['--target', backend.url, '--www', dir, '--www-prefix', '/foo/']);
    const answer = await request(`${proxy.url}/foo/test.txt`);
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('This is test data');
  });

  describe('TestAPIRequests', () => {
    const PATH = '/api/test?fields=ID%3Dfoo&labels=key%3Dvalue';

    it.each([
      ['test1', 'GET', ''],
      ['test2', 'DELETE', ''],
      ['test3', 'POST', 'test payload'],
      ['test4', 'PUT', 'test payload'],
    ])('%s: %s arrives byte for byte', async (_name, method, body) => {
      const backend = await startEcho();
      const proxy = await startCli(['--target', backend.url]);
      const headers = body ? { 'Content-Length': Buffer.byteLength(body) } : {};
      const answer = await request(`${proxy.url}${PATH}`, {
        method,
        headers,
        body: body || undefined,
      });
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe(`${method} ${PATH} ${body}`);
    });
  });

  describe('TestPathHandling', () => {
    it.each([
      ['test1', '/api/', '/metrics', false, '404 page not found\n'],
      ['test2', '/api/', '/api/metrics', false, '/api/metrics'],
      ['test3', '/api/', '/api/v1/pods/', false, '/api/v1/pods/'],
      ['test4', '/', '/metrics', false, '/metrics'],
      ['test5', '/', '/api/v1/pods/', false, '/api/v1/pods/'],
      ['test6', '/custom/', '/metrics', false, '404 page not found\n'],
      ['test7', '/custom/', '/api/metrics', false, '404 page not found\n'],
      ['test8', '/custom/', '/api/v1/pods/', false, '404 page not found\n'],
      ['test9', '/custom/', '/custom/api/metrics', false, '/api/metrics'],
      ['test10', '/custom/', '/custom/api/v1/pods/', false, '/api/v1/pods/'],
      // Upstream's backend URL (cfg.Host = ts.URL) has no path, so appending changes nothing.
      ['test11', '/custom/', '/custom/api/v1/services/', true, '/api/v1/services/'],
    ])(
      '%s: --api-prefix %s, GET %s (append %s) gives %j',
      async (_name, prefix, path, append, expected) => {
        const backend = await startPathEcho();
        const proxy = await startCli([
          '--target',
          backend.url,
          '--api-prefix',
          prefix,
          ...(append ? ['--append-server-path'] : []),
        ]);
        const answer = await request(`${proxy.url}${path}`);
        expect(answer.body.toString()).toBe(expected);
        expect(answer.status).toBe(expected.startsWith('404') ? 404 : 200);
      },
    );

    it.each([
      [true, '/base/api/v1/services/'],
      [false, '/api/v1/services/'],
    ])(
      'test11 with a backend path /base: --append-server-path %s gives %s',
      async (append, expected) => {
        const backend = await startPathEcho();
        const proxy = await startCli([
          '--target',
          `${backend.url}/base`,
          '--api-prefix',
          '/custom/',
          ...(append ? ['--append-server-path'] : []),
        ]);
        const answer = await request(`${proxy.url}/custom/api/v1/services/`);
        expect(answer.status).toBe(200);
        expect(answer.body.toString()).toBe(expected);
      },
    );
  });
});

describe('createCliServer', () => {
  describe('routing', () => {
    it('forwards the raw path and query byte for byte after stripping the prefix', async () => {
      const backend = await startEcho();
      const proxy = await startCli(['--target', backend.url, '--api-prefix', '/custom/']);
      const answer = await request(`${proxy.url}/custom/a%3Db%2Fc?x=%3D&y=a%20b`);
      expect(answer.body.toString()).toBe('GET /a%3Db%2Fc?x=%3D&y=a%20b ');
    });

    it("sends the backend Host of the target, not the client's", async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url]);
      await rawGet(proxy.port, '/x', 'localhost');
      expect(backend.seen[0]!.headers.host).toBe(`127.0.0.1:${backend.port}`);
    });

    it('redirects an unclean path with 301, keeping the query', async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url]);
      const answer = await rawGet(proxy.port, '/a//b/../c?q=%2F', '127.0.0.1');
      expect(answer.status).toBe(301);
      expect(answer.headers.location).toEqual(['/a/c?q=%2F']);
      expect(backend.seen).toHaveLength(0);
    });

    it('answers 400 for a malformed escape', async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url]);
      const answer = await rawGet(proxy.port, '/a%zz', '127.0.0.1');
      expect(answer.status).toBe(400);
      expect(answer.body.toString()).toBe('400 Bad Request\n');
      expect(backend.seen).toHaveLength(0);
    });

    it('takes the Host of an absolute-form target for the filter', async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url]);
      const evil = await rawRequest(
        proxy.port,
        'GET http://evil.com/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      );
      expect(evil.status).toBe(403);
      const good = await rawRequest(
        proxy.port,
        'GET http://localhost:8001/x?y=1 HTTP/1.1\r\nHost: evil.com\r\nConnection: close\r\n\r\n',
      );
      expect(good.status).toBe(200);
      expect(backend.seen.map((s) => s.url)).toEqual(['/x?y=1']);
    });

    it('answers an upgrade outside the API prefix with 404, and an unclean one with 301', async () => {
      const backend = await startWsBackend();
      const proxy = await startCli(['--target', backend.url, '--api-prefix', '/api/']);
      const missing = await rawRequest(proxy.port, upgradeRequest('/other', '127.0.0.1'));
      expect(missing.status).toBe(404);
      expect(missing.body.toString()).toBe('404 page not found\n');
      const unclean = await rawRequest(proxy.port, upgradeRequest('/api//ws?x=1', '127.0.0.1'));
      expect(unclean.status).toBe(301);
      expect(unclean.headers.location).toEqual(['/api/ws?x=1']);
      expect(backend.handshakes).toHaveLength(0);
    });
  });

  describe('the request filter', () => {
    it('answers a plain request from another host with 403 `Forbidden\\n`', async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url]);
      const answer = await rawGet(proxy.port, '/api/v1/pods', 'evil.com');
      expect(answer.status).toBe(403);
      expect(answer.body.toString()).toBe('Forbidden\n');
      expect(answer.headers['content-type']).toEqual(['text/plain; charset=utf-8']);
      expect(backend.seen).toHaveLength(0);
    });

    it("answers a plain request to a pod's exec with 403", async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url]);
      const answer = await rawGet(proxy.port, EXEC, '127.0.0.1');
      expect(answer.status).toBe(403);
      expect(answer.body.toString()).toBe('Forbidden\n');
      expect(backend.seen).toHaveLength(0);
    });

    it.each([
      ['evil.com', '/api/v1/pods/ws'],
      ['127.0.0.1', EXEC],
      ['localhost', '/api/v1/namespaces/default/pods/x/attach?stdin=1'],
    ])('answers an upgrade with Host %s to %s with 403 `Forbidden\\n`', async (host, path) => {
      const backend = await startWsBackend();
      const proxy = await startCli(['--target', backend.url]);
      const answer = await rawRequest(proxy.port, upgradeRequest(path, host));
      expect(answer.status).toBe(403);
      expect(answer.body.toString()).toBe('Forbidden\n');
      expect(answer.headers['content-type']).toEqual(['text/plain; charset=utf-8']);
      expect(backend.handshakes).toHaveLength(0);
    });

    it.each(['[::1]:8001', '[::1]', 'localhost', 'localhost:PORT', '127.0.0.1:PORT'])(
      'accepts Host %s (P11 for [::1])',
      async (host) => {
        const backend = track(await startRecorder());
        const proxy = await startCli(['--target', backend.url]);
        const answer = await rawGet(
          proxy.port,
          '/api/v1/pods',
          host.replace('PORT', String(proxy.port)),
        );
        expect(answer.status).toBe(200);
        expect(backend.seen).toHaveLength(1);
      },
    );

    it('refuses a WebSocket client whose Host is evil.com with 403', async () => {
      const backend = await startWsBackend();
      const proxy = await startCli(['--target', backend.url]);
      const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws`, {
        headers: { Host: 'evil.com' },
      });
      ws.on('error', () => {});
      const [, res] = (await once(ws, 'unexpected-response')) as [
        unknown,
        { statusCode: number; destroy(): void },
      ];
      expect(res.statusCode).toBe(403);
      res.destroy();
      ws.terminate();
      expect(backend.handshakes).toHaveLength(0);
    });

    it('accepts a WebSocket from [::1]:8001 (P11 on the upgrade path)', async () => {
      const backend = await startWsBackend();
      const proxy = await startCli(['--target', backend.url]);
      const { ws, reply } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/ws`, 'v6', {
        Host: '[::1]:8001',
      });
      expect(reply).toBe('echo:v6');
      await closeWs(ws);
    });

    it('refuses localhost.evil.com', async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url]);
      expect((await rawGet(proxy.port, '/x', 'localhost.evil.com')).status).toBe(403);
    });

    it('lets everything through with --disable-filter', async () => {
      const backend = await startWsBackend();
      const proxy = await startCli(['--target', backend.url, '--disable-filter']);
      const plain = await rawGet(proxy.port, EXEC, 'evil.com');
      expect(plain.status).toBe(200);
      expect(plain.body.toString()).toBe(EXEC);
      const { ws, reply } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}${EXEC}`, 'run', {
        Host: 'evil.com',
      });
      expect(reply).toBe('echo:run');
      await closeWs(ws);
      expect(backend.handshakes.map((h) => h.url)).toEqual([EXEC]);
    });

    it('refuses the methods of --reject-methods POST and lets GET through', async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url, '--reject-methods', 'POST']);
      const post = await request(`${proxy.url}/api/v1/pods`, {
        method: 'POST',
        headers: { 'Content-Length': 2 },
        body: '{}',
      });
      expect(post.status).toBe(403);
      expect(post.body.toString()).toBe('Forbidden\n');
      const get = await request(`${proxy.url}/api/v1/pods`);
      expect(get.status).toBe(200);
      expect(backend.seen.map((s) => s.method)).toEqual(['GET']);
    });

    it('filters on the path after the prefix is stripped', async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url, '--api-prefix', '/custom/']);
      expect((await rawGet(proxy.port, `/custom${EXEC}`, '127.0.0.1')).status).toBe(403);
      expect((await rawGet(proxy.port, `/custom/api/v1/pods`, '127.0.0.1')).status).toBe(200);
    });

    // kubectl proxy 1.32 answers 403 to these: Go's `.` matches `\r`, U+2028 and U+2029.
    it('refuses exec into a pod whose name has %0D, %E2%80%A8 or %E2%80%A9, as kubectl does', async () => {
      const backend = track(await startRecorder());
      const proxy = await startCli(['--target', backend.url]);
      for (const pod of ['web%0D', 'web%E2%80%A8', 'web%E2%80%A9']) {
        const path = `/api/v1/namespaces/default/pods/${pod}/exec`;
        expect({ path, status: (await rawGet(proxy.port, path, '127.0.0.1')).status }).toEqual({
          path,
          status: 403,
        });
      }
      expect(backend.seen).toEqual([]);
    });
  });

  describe('the bearer token', () => {
    /** A TLS backend that records the Authorization of each plain request and handshake. */
    async function startTokenBackend() {
      const seen: Array<string | undefined> = [];
      const backend = await startTlsWsBackend((req, res) => {
        seen.push(req.headers.authorization);
        res.end();
      });
      return {
        backend,
        seen,
        handshakes: () => backend.handshakes.map((h) => h.headers.authorization),
      };
    }

    it('is added to a plain request and an upgrade that have no Authorization', async () => {
      const { backend, seen, handshakes } = await startTokenBackend();
      const proxy = await startCli([...backend.flags, '--token', 's3cret']);
      await request(`${proxy.url}/api`);
      const { ws, reply } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/ws?a=%3D`, 'hi');
      expect(reply).toBe('echo:hi');
      await closeWs(ws);
      expect(seen).toEqual(['Bearer s3cret']);
      expect(backend.handshakes.map((h) => h.url)).toEqual(['/ws?a=%3D']);
      expect(handshakes()).toEqual(['Bearer s3cret']);
    });

    it("does not replace the client's own Authorization, on a plain request or an upgrade", async () => {
      const { backend, seen, handshakes } = await startTokenBackend();
      const proxy = await startCli([...backend.flags, '--token', 's3cret']);
      await request(`${proxy.url}/api`, { headers: { Authorization: 'Basic bWU6cHc=' } });
      const { ws } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/ws`, 'hi', {
        Authorization: 'Bearer mine',
      });
      await closeWs(ws);
      expect(seen).toEqual(['Basic bWU6cHc=']);
      expect(handshakes()).toEqual(['Bearer mine']);
    });

    // client-go's bearer-token round tripper tests `len(req.Header.Get("Authorization")) != 0`.
    it('replaces an empty Authorization from the client, as client-go does', async () => {
      const { backend, seen, handshakes } = await startTokenBackend();
      const proxy = await startCli([...backend.flags, '--token', 's3cret']);
      const plain = await rawGet(proxy.port, '/api', '127.0.0.1', 'Authorization: \r\n');
      expect(plain.status).toBe(200);
      const socket = connect(proxy.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(upgradeRequest('/ws', '127.0.0.1', 'Authorization:\r\n'));
      await waitForLength(backend.handshakes, 1);
      socket.destroy();
      expect(seen).toEqual(['Bearer s3cret']);
      expect(handshakes()).toEqual(['Bearer s3cret']);
    });

    it('is not invented without --token', async () => {
      const { backend, seen } = await startTokenBackend();
      const proxy = await startCli(backend.flags);
      await request(`${proxy.url}/api`);
      expect(seen).toEqual([undefined]);
    });

    // clientcmd reads credentials only when the server is https (`isConfigTransportTLS`).
    it('is not sent to a plain-http backend, on a plain request or an upgrade', async () => {
      const backend = await startWsBackend((req, res) =>
        res.end(String(req.headers.authorization)),
      );
      const proxy = await startCli(['--target', backend.url, '--token', 's3cret']);
      expect((await request(`${proxy.url}/api`)).body.toString()).toBe('undefined');
      const { ws } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/ws`, 'hi');
      await closeWs(ws);
      expect(backend.handshakes[0]!.headers.authorization).toBeUndefined();
      // The client's own still goes through, as through kubectl.
      expect(
        (
          await request(`${proxy.url}/api`, { headers: { Authorization: 'Bearer mine' } })
        ).body.toString(),
      ).toBe('Bearer mine');
    });
  });

  describe('the responder', () => {
    /** Checks a responder answer: text/plain, the message and a newline, no stack, one error line. */
    function expectPlainError(
      proxy: RunningCli,
      answer: { status: number; body: Buffer; contentType: string | undefined },
    ) {
      expect(answer.status).toBe(502);
      expect(answer.contentType).toBe('text/plain; charset=utf-8');
      const body = answer.body.toString();
      expect(body.endsWith('\n')).toBe(true);
      expect(body.split('\n')).toHaveLength(2);
      expect(body).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
      expect(body).toMatch(/ECONNREFUSED/);
      expect(proxy.errors).toEqual([`Error while proxying request: ${body.slice(0, -1)}`]);
    }

    it('answers a plain request to a refused backend with the message as text/plain', async () => {
      const proxy = await startCli(['--target', `http://127.0.0.1:${await closedPort()}`]);
      const answer = await request(`${proxy.url}/api/v1/pods`);
      expectPlainError(proxy, { ...answer, contentType: answer.headers['content-type'] });
    });

    it('answers an upgrade to a refused backend the same way, on the socket', async () => {
      const proxy = await startCli(['--target', `http://127.0.0.1:${await closedPort()}`]);
      const answer = await rawRequest(proxy.port, upgradeRequest('/ws', '127.0.0.1'));
      expectPlainError(proxy, { ...answer, contentType: answer.headers['content-type']?.[0] });
    });
  });

  describe('the access log', () => {
    it('writes one line per request, with the path as sent before the prefix is stripped', async () => {
      const backend = await startEcho();
      const proxy = await startCli(['--target', backend.url, '--api-prefix', '/custom/']);
      await request(`${proxy.url}/custom/api/v1/pods?watch=%3D1`);
      await request(`${proxy.url}/custom/api/v1/services`, {
        method: 'POST',
        headers: { 'Content-Length': 4 },
        body: 'data',
      });
      await waitForLength(proxy.lines, 2);
      expect(proxy.lines).toHaveLength(2);
      const [first, second] = proxy.lines.map(fields);
      expect(first!.slice(0, 4)).toEqual([
        '127.0.0.1',
        'GET',
        '/custom/api/v1/pods?watch=%3D1',
        '200',
      ]);
      expect(second!.slice(0, 4)).toEqual(['127.0.0.1', 'POST', '/custom/api/v1/services', '200']);
      for (const line of [first!, second!]) {
        expect(numberOf(line[4], 'in')).toBeGreaterThan(0);
        expect(numberOf(line[5], 'out')).toBeGreaterThan(0);
        expect(line[6]).toMatch(new RegExp(`^(?:${DURATION})$`));
        expect(line).toHaveLength(7);
      }
    });

    it('logs refused, redirected and missing requests with their status', async () => {
      const backend = await startEcho();
      const proxy = await startCli(['--target', backend.url, '--api-prefix', '/api/']);
      await rawGet(proxy.port, '/api/x', 'evil.com');
      await rawGet(proxy.port, '/api//x', '127.0.0.1');
      await rawGet(proxy.port, '/nothing', '127.0.0.1');
      await waitForLength(proxy.lines, 3);
      expect(proxy.lines.map((line) => fields(line).slice(1, 4))).toEqual([
        ['GET', '/api/x', '403'],
        ['GET', '/api//x', '301'],
        ['GET', '/nothing', '404'],
      ]);
    });

    it('writes one `101 tunnel` line per WebSocket when it closes', async () => {
      const backend = await startWsBackend();
      const proxy = await startCli(['--target', backend.url, '--api-prefix', '/custom/']);
      const { ws } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/custom/ws?x=1`, 'hello');
      await closeWs(ws);
      await waitForLength(proxy.lines, 1);
      expect(proxy.lines).toHaveLength(1);
      const line = fields(proxy.lines[0]!);
      expect(line.slice(0, 5)).toEqual(['127.0.0.1', 'GET', '/custom/ws?x=1', '101', 'tunnel']);
      expect(numberOf(line[5], 'in')).toBeGreaterThan(0);
      expect(numberOf(line[6], 'out')).toBeGreaterThan(0);
      expect(line[7]).toMatch(new RegExp(`^(?:${DURATION})$`));
    });

    it('writes the 403 of an upgrade the filter refused', async () => {
      const backend = await startWsBackend();
      const proxy = await startCli(['--target', backend.url]);
      await rawRequest(proxy.port, upgradeRequest(EXEC, '127.0.0.1'));
      await waitForLength(proxy.lines, 1);
      expect(fields(proxy.lines[0]!).slice(0, 5)).toEqual([
        '127.0.0.1',
        'GET',
        EXEC,
        '403',
        'tunnel',
      ]);
    });

    it('serves without an access log, as with --quiet', async () => {
      const backend = await startEcho();
      const proxy = await startCli(['--target', backend.url, '--quiet'], { quiet: true });
      expect((await request(`${proxy.url}/x`)).status).toBe(200);
      expect(proxy.lines).toEqual([]);
    });
  });

  describe('close', () => {
    it('ends an open WebSocket tunnel and resolves', async () => {
      const backend = await startWsBackend();
      const proxy = await startCli(['--target', backend.url]);
      const { ws, reply } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/ws`, 'before close');
      expect(reply).toBe('echo:before close');
      const wsClosed = once(ws, 'close');
      await proxy.cli.close(60_000);
      await wsClosed;
      expect(ws.readyState).toBe(WebSocket.CLOSED);
      expect(proxy.cli.server.listening).toBe(false);
      await waitForLength(proxy.lines, 1);
      expect(fields(proxy.lines[0]!).slice(1, 5)).toEqual(['GET', '/ws', '101', 'tunnel']);
    });

    it('resolves at once with an idle keep-alive connection open, and refuses new connections', async () => {
      const backend = await startEcho();
      const proxy = await startCli(['--target', backend.url]);
      const client = connect(proxy.port, '127.0.0.1');
      client.on('error', () => {});
      await once(client, 'connect');
      client.write('GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await once(client, 'data');
      const clientClosed = once(client, 'close');
      // A long grace: only closing the idle connection at once lets close() resolve.
      await proxy.cli.close(600_000);
      await clientClosed;
      const refused = connect(proxy.port, '127.0.0.1');
      const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
      expect(err.code).toBe('ECONNREFUSED');
    });
  });
});
