// The real command (`node dist/cli/main.js`, package.json's bin) end to end: --help and bad flags,
// then a backend behind `--target ... --port 0` reached with plain requests and WebSockets: the
// filter, the access log, --quiet, --token, --max-bytes-per-sec, --api-prefix, --www, a backend
// that is down, kubectl's warnings, --unix-socket, and a backend on a unix socket (docs/cli.md).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../../lib/cli/cli-options.js';
import type { CliOptions } from '../../lib/cli/cli-options.js';
import { makeTls } from '../fixtures/tls.js';
import { closedPort, request } from '../helpers/servers.js';
import { openWebSocket } from '../helpers/websockets.js';
import { echo, refusedHandshake, runCli, startBackend, startCliProcess } from './spawn.js';
import type { Backend, Exit, RunningCliProcess } from './spawn.js';

const EXEC = '/api/v1/namespaces/default/pods/web/exec?command=sh';

/** An access-log line: time, client, method, path, status, `tunnel` for upgrades, bytes each way, duration. */
const ACCESS_LINE =
  /^\d{4}-\d\d-\d\dT[\d:.]+Z 127\.0\.0\.1 (\S+) (\S+) (\d{3}|-)( tunnel)? in=(\d+) out=(\d+) \d+\.\d+m?s$/;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'upgrade-aware-cli-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The lines a process wrote on one stream, without the final newline's empty string. */
function lines(text: string): string[] {
  return text.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
}

/** Expects the command to have exited 2 with one stderr line that contains `name`, and nothing on stdout. */
function expectUsageError(exit: Exit, name: string): void {
  expect(exit.code).toBe(2);
  expect(exit.stdout).toBe('');
  expect(lines(exit.stderr)).toHaveLength(1);
  expect(exit.stderr).toContain(name);
}

/** The flag's name, as written on the command line. */
const flagName = (key: string): string =>
  `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

describe('--help and bad flags', () => {
  it('--help exits 0 and lists every flag with its default', async () => {
    const exit = await runCli(['--help']);
    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe('');
    const help = exit.stdout;
    for (const [key, value] of Object.entries(DEFAULTS) as [
      keyof CliOptions,
      CliOptions[keyof CliOptions],
    ][]) {
      const name = flagName(key);
      const line = lines(help).find((l) => new RegExp(`(^|[ ,])${name}[=:]`).test(l));
      expect({ name, line }).toEqual({ name, line: expect.any(String) });
      if (key === 'target') continue; // no default: the kubeconfig is read when it is absent
      const shown =
        key === 'keepalive' ? '0s' : typeof value === 'string' ? `'${value}'` : String(value);
      expect({ name, line }).toEqual({ name, line: expect.stringContaining(`${name}=${shown}:`) });
    }
  });

  it("--help shows kubectl proxy's short forms", async () => {
    const exit = await runCli(['-h']);
    expect(exit.code).toBe(0);
    for (const pair of [
      '-p, --port=',
      '-u, --unix-socket=',
      '-w, --www=',
      '-P, --www-prefix=',
      '-h, --help=',
    ]) {
      expect(exit.stdout).toContain(pair);
    }
  });

  it('an unknown flag exits 2 with one line naming it', async () => {
    expectUsageError(await runCli(['--nope']), '--nope');
  });

  it.each([
    [['--port', 'abc'], '--port'],
    [['--port', '70000'], '--port'],
    [['--keepalive', 'xyz'], '--keepalive'],
    [['--accept-paths', '('], '--accept-paths'],
    [['--unix-socket', 'X', '--port', '9'], '--unix-socket'],
    [['--max-bytes-per-sec', '-1', '--target', 'http://127.0.0.1:1'], '--max-bytes-per-sec'],
  ])('%j exits 2 with one line naming %s', async (args, name) => {
    expectUsageError(await runCli(args), name);
  });

  it('--unix-socket with --port names both flags', async () => {
    const exit = await runCli(['--unix-socket', 'X', '--port', '9']);
    expectUsageError(exit, '--port');
  });

  it('no backend (no --target, no kubeconfig) exits 2 with one line', async () => {
    const env = { ...process.env, HOME: dir, KUBECONFIG: join(dir, 'missing', 'config') };
    const exit = await runCli(['--port', '0'], { env });
    expectUsageError(exit, '--target');
  });
});

describe('--target http://127.0.0.1:PORT --port 0', () => {
  let backend: Backend;

  beforeEach(async () => {
    backend = await startBackend();
  });

  afterEach(async () => {
    await backend.close();
  });

  const start = (...args: string[]): Promise<RunningCliProcess> =>
    startCliProcess(['--target', backend.url, '--port', '0', ...args]);

  it('prints "Starting to serve on 127.0.0.1:PORT" as its first line', async () => {
    const cli = await start();
    expect(cli.output().stdout).toMatch(/^Starting to serve on 127\.0\.0\.1:\d+\n/);
    expect(cli.port).toBeGreaterThan(0);
  });

  it("proxies a plain GET with the backend's host", async () => {
    const cli = await start();
    const res = await request(`${cli.url}/hello`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('backend: GET /hello\n');
    expect(backend.requests).toEqual([expect.objectContaining({ method: 'GET', url: '/hello' })]);
    expect(backend.requests[0].headers.host).toBe(`127.0.0.1:${backend.port}`);
  });

  it('proxies a POST with its body', async () => {
    const cli = await start();
    const body = JSON.stringify({ name: 'pod', data: 'x'.repeat(10_000) });
    const res = await request(`${cli.url}/api/v1/things`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(body);
    expect(backend.requests).toEqual([
      expect.objectContaining({ method: 'POST', url: '/api/v1/things', body }),
    ]);
    expect(backend.requests[0].headers['content-type']).toBe('application/json');
  });

  it("keeps the query's bytes as sent", async () => {
    const cli = await start();
    const url = '/q/a%2Fb?a=%20b&c=d%2fe&&x=&y=%E2%9C%93;z=1+2&a=2';
    const res = await request(`${cli.url}${url}`);
    expect(res.status).toBe(200);
    expect(backend.requests.map((r) => r.url)).toEqual([url]);
  });

  it('answers 403 Forbidden to a host outside --accept-hosts', async () => {
    const cli = await start();
    const res = await request(`${cli.url}/hello`, { headers: { Host: 'evil.com' } });
    expect(res.status).toBe(403);
    expect(res.body.toString()).toBe('Forbidden\n');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(backend.requests).toEqual([]);
  });

  it('accepts Host [::1]:PORT (P11: the port is stripped, the brackets kept)', async () => {
    const cli = await start();
    expect((await request(`${cli.url}/v6`, { headers: { Host: '[::1]:8001' } })).status).toBe(200);
    expect(backend.requests.map((r) => r.url)).toEqual(['/v6']);
  });

  it('answers 403 Forbidden to exec and attach, the default --reject-paths', async () => {
    const cli = await start();
    for (const path of [EXEC, '/api/v1/namespaces/default/pods/web/attach']) {
      const res = await request(`${cli.url}${path}`);
      expect({ path, status: res.status, body: res.body.toString() }).toEqual({
        path,
        status: 403,
        body: 'Forbidden\n',
      });
    }
    expect(backend.requests).toEqual([]);
  });

  it("tunnels a WebSocket to the backend's echo", async () => {
    const cli = await start();
    const ws = await openWebSocket(`ws://${cli.address}/ws?stream=1`);
    expect(await echo(ws, 'hello through the command')).toBe('hello through the command');
    expect(await echo(ws, 'twice')).toBe('twice');
    expect(backend.upgrades).toEqual([
      expect.objectContaining({ method: 'GET', url: '/ws?stream=1' }),
    ]);
  });

  it('refuses a WebSocket with a rejected Host with 403 at the handshake', async () => {
    const cli = await start();
    const answer = await refusedHandshake(`ws://${cli.address}/ws`, {
      headers: { Host: 'evil.com' },
    });
    expect(answer).toEqual({ status: 403, body: 'Forbidden\n' });
    expect(backend.upgrades).toEqual([]);
  });

  it('refuses a WebSocket to a rejected path with 403 at the handshake', async () => {
    const cli = await start();
    const answer = await refusedHandshake(`ws://${cli.address}${EXEC}`);
    expect(answer).toEqual({ status: 403, body: 'Forbidden\n' });
    expect(backend.upgrades).toEqual([]);
  });

  it('logs one line per request and one per tunnel on stderr', async () => {
    const cli = await start();
    await request(`${cli.url}/one?x=1`);
    await request(`${cli.url}/two`, { method: 'POST', body: 'a body' });
    await request(`${cli.url}/three`, { headers: { Host: 'evil.com' } });
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    expect(await echo(ws, 'logged')).toBe('logged');
    ws.close();
    await cli.waitForStderr((text) => text.includes(' tunnel '), 'the tunnel line');
    const exit = await cli.stop();
    expect(exit.code).toBe(0);
    const logged = lines(exit.stderr).map((line) => {
      const match = ACCESS_LINE.exec(line);
      expect({ line, match: Boolean(match) }).toEqual({ line, match: true });
      const [, method, path, status, tunnel, read, written] = match!;
      return {
        method,
        path,
        status,
        tunnel: Boolean(tunnel),
        in: Number(read) > 0,
        out: Number(written) > 0,
      };
    });
    // Lines are written as exchanges end; sorted by path, the test does not depend on that order.
    logged.sort((a, b) => a.path.localeCompare(b.path));
    expect(logged).toEqual([
      { method: 'GET', path: '/one?x=1', status: '200', tunnel: false, in: true, out: true },
      { method: 'GET', path: '/three', status: '403', tunnel: false, in: true, out: true },
      { method: 'POST', path: '/two', status: '200', tunnel: false, in: true, out: true },
      { method: 'GET', path: '/ws', status: '101', tunnel: true, in: true, out: true },
    ]);
  });

  it("logs a handshake it refuses itself with the client's address and the status sent", async () => {
    const cli = await start('--api-prefix', '/custom/');
    expect(
      (await refusedHandshake(`ws://${cli.address}/custom/ws`, { headers: { Host: 'evil.com' } }))
        .status,
    ).toBe(403);
    expect((await refusedHandshake(`ws://${cli.address}/elsewhere`)).status).toBe(404);
    await cli.waitForStderr((text) => lines(text).length >= 2, 'two lines');
    const exit = await cli.stop();
    expect(
      lines(exit.stderr)
        .map((line) => line.replace(/^\S+ /, '').replace(/ in=.*/, ''))
        .sort(),
    ).toEqual(['127.0.0.1 GET /custom/ws 403 tunnel', '127.0.0.1 GET /elsewhere 404 tunnel']);
  });

  it('logs nothing with --quiet, and still serves', async () => {
    const cli = await start('--quiet');
    expect((await request(`${cli.url}/hello`)).status).toBe(200);
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    expect(await echo(ws, 'quiet')).toBe('quiet');
    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
    const exit = await cli.stop();
    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe('');
    expect(exit.stdout).toMatch(/^Starting to serve on 127\.0\.0\.1:\d+\n$/);
  });

  // clientcmd reads credentials only for an https server (`isConfigTransportTLS`); kubectl is silent.
  it("withholds --token from a plain-http backend, with one warning, and passes the client's own", async () => {
    const cli = await start('--token', 'T0ken-value');
    expect(lines(cli.output().stderr)).toEqual([
      `warning: not sending the token to ${backend.url}/: credentials go only over https, as in kubectl`,
    ]);
    expect((await request(`${cli.url}/hello`)).status).toBe(200);
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    expect(await echo(ws, 'no token')).toBe('no token');
    await request(`${cli.url}/own`, { headers: { Authorization: 'Basic dXNlcjpwdw==' } });
    expect(backend.requests.map((r) => r.headers.authorization)).toEqual([
      undefined,
      'Basic dXNlcjpwdw==',
    ]);
    expect(backend.upgrades.map((r) => r.headers.authorization)).toEqual([undefined]);
  });

  it('accepts --max-bytes-per-sec and still tunnels', async () => {
    const cli = await start('--max-bytes-per-sec', '1000000');
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    const big = 'z'.repeat(20_000);
    expect(await echo(ws, big)).toBe(big);
    expect((await request(`${cli.url}/hello`)).body.toString()).toBe('backend: GET /hello\n');
  });

  it('serves under --api-prefix /custom/ with the prefix stripped', async () => {
    const cli = await start('--api-prefix', '/custom/');
    const res = await request(`${cli.url}/custom/api/x?y=1`);
    expect(res.status).toBe(200);
    expect(backend.requests.map((r) => r.url)).toEqual(['/api/x?y=1']);
    const outside = await request(`${cli.url}/api/x`);
    expect(outside.status).toBe(404);
    expect(outside.body.toString()).toBe('404 page not found\n');
    expect(backend.requests).toHaveLength(1);
  });

  it('serves files from --www under --www-prefix, and proxies the rest', async () => {
    writeFileSync(join(dir, 'hello.txt'), 'a static file\n');
    const cli = await start('--www', dir, '--www-prefix', '/s/');
    const file = await request(`${cli.url}/s/hello.txt`);
    expect(file.status).toBe(200);
    expect(file.body.toString()).toBe('a static file\n');
    expect(file.headers['content-type']).toMatch(/^text\/plain/);
    expect((await request(`${cli.url}/elsewhere`)).body.toString()).toBe(
      'backend: GET /elsewhere\n',
    );
    expect(backend.requests.map((r) => r.url)).toEqual(['/elsewhere']);
  });

  it('answers a text/plain error without a stack trace when the backend is down', async () => {
    const cli = await startCliProcess([
      '--target',
      `http://127.0.0.1:${await closedPort()}`,
      '--port',
      '0',
    ]);
    const res = await request(`${cli.url}/hello`);
    const body = res.body.toString();
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(body).toMatch(/\S\n$/);
    expect(lines(body)).toHaveLength(1);
    expect(body).not.toMatch(/^\s*at /m);
    const refused = await refusedHandshake(`ws://${cli.address}/ws`);
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(refused.body).toMatch(/\S\n$/);
    expect(refused.body).not.toMatch(/^\s*at /m);
    const stderr = await cli.waitForStderr(
      (text) => text.split('Error while proxying request:').length === 3,
      'two error lines',
    );
    expect(stderr).not.toMatch(/^\s*at /m);
  });

  it('warns about a server path in --target, and appends it with --append-server-path', async () => {
    const plain = await start().then((cli) => cli.stop());
    expect(plain.stderr).not.toContain('server path');
    const warned = await startCliProcess(['--target', `${backend.url}/base`, '--port', '0']);
    expect(warned.output().stderr).toContain('use --append-server-path');
    const cli = await startCliProcess([
      '--target',
      `${backend.url}/base`,
      '--append-server-path',
      '--port',
      '0',
    ]);
    expect(cli.output().stderr).toBe('');
    expect((await request(`${cli.url}/x?q=1`)).status).toBe(200);
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    expect(await echo(ws, 'appended')).toBe('appended');
    expect(backend.requests.map((r) => r.url)).toEqual(['/base/x?q=1']);
    expect(backend.upgrades.map((r) => r.url)).toEqual(['/base/ws']);
  });

  it("--disable-filter prints kubectl's warning and lets any host through", async () => {
    const cli = await start('--disable-filter');
    expect(cli.output().stderr).toContain(
      'Request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious',
    );
    expect((await request(`${cli.url}${EXEC}`, { headers: { Host: 'evil.com' } })).status).toBe(
      200,
    );
    expect(backend.requests.map((r) => r.headers.host)).toEqual([`127.0.0.1:${backend.port}`]);
  });

  it("--reject-paths '' prints kubectl's warning and lets exec through", async () => {
    const cli = await start('--reject-paths', '');
    expect(cli.output().stderr).toContain(
      'Request filter has been relaxed, your proxy may be vulnerable to attacks, please be cautious',
    );
    expect((await request(`${cli.url}${EXEC}`)).status).toBe(200);
    expect(backend.requests.map((r) => r.url)).toEqual([EXEC]);
  });
});

describe('--target https://127.0.0.1:PORT --certificate-authority CA --token', () => {
  let backend: Backend;
  let ca: string;

  beforeEach(async () => {
    const tls = makeTls();
    ca = join(dir, 'ca.pem');
    writeFileSync(ca, tls.ca);
    backend = await startBackend({ tls: { cert: tls.cert, key: tls.key } });
  });

  afterEach(async () => {
    await backend.close();
  });

  const start = (...args: string[]): Promise<RunningCliProcess> =>
    startCliProcess([
      '--target',
      backend.url,
      '--certificate-authority',
      ca,
      '--port',
      '0',
      ...args,
    ]);

  it('sends --token as a bearer token on plain and upgrade requests, without a warning', async () => {
    const cli = await start('--token', 'T0ken-value');
    expect(cli.output().stderr).toBe('');
    expect((await request(`${cli.url}/hello`)).status).toBe(200);
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    expect(await echo(ws, 'with a token')).toBe('with a token');
    expect(backend.requests.map((r) => r.headers.authorization)).toEqual(['Bearer T0ken-value']);
    expect(backend.upgrades.map((r) => r.headers.authorization)).toEqual(['Bearer T0ken-value']);
  });

  it('sends the token of --token-file, trimmed', async () => {
    writeFileSync(join(dir, 'token'), '  from-a-file\n');
    const cli = await start('--token-file', join(dir, 'token'));
    expect((await request(`${cli.url}/hello`)).status).toBe(200);
    expect(backend.requests.map((r) => r.headers.authorization)).toEqual(['Bearer from-a-file']);
  });

  it("leaves a request's own Authorization alone, as client-go does", async () => {
    const cli = await start('--token', 'T0ken-value');
    await request(`${cli.url}/hello`, { headers: { Authorization: 'Basic dXNlcjpwdw==' } });
    expect(backend.requests.map((r) => r.headers.authorization)).toEqual(['Basic dXNlcjpwdw==']);
  });
});

/** A GET over the unix socket at `socketPath`, with `Host: localhost`. */
function unixGet(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, path, headers: { Host: 'localhost' }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('--unix-socket', () => {
  let backend: Backend;

  beforeEach(async () => {
    backend = await startBackend();
  });

  afterEach(async () => {
    await backend.close();
  });

  it('serves on the socket, owner-only, and reaches the backend', async () => {
    const socket = join(dir, 'proxy.sock');
    const cli = await startCliProcess(['--target', backend.url, '--unix-socket', socket]);
    expect(cli.output().stdout).toBe(`Starting to serve on ${socket}\n`);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(await unixGet(socket, '/over/the/socket')).toEqual({
      status: 200,
      body: 'backend: GET /over/the/socket\n',
    });
    expect(backend.requests.map((r) => r.url)).toEqual(['/over/the/socket']);
  });

  it('removes a stale socket file left by an earlier run', async () => {
    const socket = join(dir, 'proxy.sock');
    const earlier = await startCliProcess([
      '--target',
      backend.url,
      '--unix-socket',
      socket,
      '--quiet',
    ]);
    expect((await earlier.stop('SIGKILL')).signal).toBe('SIGKILL');
    expect(statSync(socket).isSocket()).toBe(true);
    const cli = await startCliProcess(['--target', backend.url, '--unix-socket', socket]);
    expect(cli.address).toBe(socket);
    expect((await unixGet(socket, '/again')).status).toBe(200);
  });

  it('refuses a regular file at the socket path and leaves it as it was', async () => {
    const socket = join(dir, 'proxy.sock');
    writeFileSync(socket, 'not a socket\n');
    const exit = await runCli(['--target', backend.url, '--unix-socket', socket]);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toHaveLength(1);
    expect(exit.stderr).toContain(socket);
    expect(readFileSync(socket, 'utf8')).toBe('not a socket\n');
  });
});

describe('--target unix:PATH', () => {
  it('reaches a backend on a unix socket, plain and WebSocket', async () => {
    const backend = await startBackend({ socketPath: join(dir, 'backend.sock') });
    try {
      const cli = await startCliProcess(['--target', `unix:${backend.url}`, '--port', '0']);
      const res = await request(`${cli.url}/containers/json?all=1`);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('backend: GET /containers/json?all=1\n');
      expect(backend.requests[0].headers.host).toBe('localhost');
      const ws = await openWebSocket(`ws://${cli.address}/attach/ws`);
      expect(await echo(ws, 'over a unix socket')).toBe('over a unix socket');
      expect(backend.upgrades.map((r) => r.url)).toEqual(['/attach/ws']);
    } finally {
      await backend.close();
    }
  });
});
