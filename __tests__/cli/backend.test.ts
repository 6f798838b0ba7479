// The backend from --target, the TLS and token flags, or a kubeconfig; and a unix-socket backend
// proxied for real.
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseTarget, resolveBackend } from '../../lib/cli/backend.js';
import type { Backend } from '../../lib/cli/backend.js';
import { FlagError } from '../../lib/cli/flag-error.js';
import { parseFlags } from '../../lib/cli/flags.js';
import { makeTls } from '../fixtures/tls.js';
import type { TlsFixture } from '../fixtures/tls.js';
import { request } from '../helpers/servers.js';
import { closeAll, closeWs, startCli, tempDir, track, wsEcho, wsRoundTrip } from './helpers.js';

afterEach(closeAll);

/** Resolves the backend for `argv`; the agent is destroyed by closeAll. */
async function backendFor(argv: string[]): Promise<Backend> {
  const backend = await resolveBackend(parseFlags(argv));
  track({ close: async () => backend.agent.destroy() });
  return backend;
}

/** The FlagError `resolveBackend` rejects with for `argv`. */
async function flagError(argv: string[]): Promise<FlagError> {
  const outcome: unknown = await resolveBackend(parseFlags(argv)).then(
    (backend) => {
      backend.agent.destroy();
      return new Error('expected resolveBackend to fail');
    },
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(FlagError);
  expect((outcome as Error).message).not.toContain('\n');
  return outcome as FlagError;
}

/** The FlagError `parseTarget` throws for `value`. */
function targetError(value: string): FlagError {
  let caught: unknown;
  try {
    parseTarget(value);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FlagError);
  const message = (caught as FlagError).message;
  expect(message).toContain('--target');
  expect(message).toContain(JSON.stringify(value));
  expect(message).not.toContain('\n');
  return caught as FlagError;
}

/** The TLS options an https agent was built with. */
const tlsOptionsOf = (backend: Backend): https.AgentOptions =>
  (backend.agent as https.Agent).options;

describe('parseTarget', () => {
  it('takes an http URL', () => {
    const { url, socketPath } = parseTarget('http://127.0.0.1:8080');
    expect(url.href).toBe('http://127.0.0.1:8080/');
    expect(socketPath).toBeUndefined();
  });

  it('takes an https URL with a server path', () => {
    const { url, socketPath } = parseTarget('https://example.com:6443/base/path');
    expect(url.href).toBe('https://example.com:6443/base/path');
    expect(socketPath).toBeUndefined();
  });

  it('assumes http:// when no scheme is written', () => {
    expect(parseTarget('127.0.0.1:8080').url.href).toBe('http://127.0.0.1:8080/');
    expect(parseTarget('localhost:8080/base').url.href).toBe('http://localhost:8080/base');
  });

  it.each([
    ['unix:/x.sock', '/x.sock'],
    ['unix:///x.sock', '/x.sock'],
    ['unix:/var/run/docker.sock', '/var/run/docker.sock'],
  ])('takes the unix socket %s', (value, path) => {
    const { url, socketPath } = parseTarget(value);
    expect(socketPath).toBe(path);
    expect(url.href).toBe('http://localhost/');
  });

  it('takes http+unix:// with the socket percent-encoded as the host, and a server path', () => {
    const { url, socketPath } = parseTarget('http+unix://%2Ftmp%2Fx.sock/base/');
    expect(socketPath).toBe('/tmp/x.sock');
    expect(url.href).toBe('http://localhost/base/');
  });

  it.each([
    ['ftp://example.com/', 'scheme'],
    ['ws://example.com/', 'scheme'],
    ['http://user:pass@example.com/', 'credentials'],
    ['http://user@example.com/', 'credentials'],
    ['http://example.com/?q=1', 'query'],
    ['http://example.com/#frag', 'fragment'],
    ['', 'not a URL'],
    ['unix:', 'unix:/path'],
    ['unix://relative', 'unix:/path'],
  ])('refuses %j with a FlagError naming --target (%s)', (value, rule) => {
    expect(targetError(value).message).toContain(rule);
  });
});

describe('resolveBackend', () => {
  let tls: TlsFixture;
  let client: TlsFixture;

  beforeAll(() => {
    tls = makeTls();
    // Another leaf, standing for a client certificate: the agent only carries the bytes.
    client = makeTls(['client.example']);
  });

  /** Writes `content` into a fresh temp dir and returns the file's path. */
  async function file(name: string, content: string): Promise<string> {
    const path = join(await tempDir(), name);
    await writeFile(path, content);
    return path;
  }

  /** A kubeconfig whose one context uses `cluster` and `user`. */
  async function kubeconfig(
    cluster: Record<string, unknown>,
    user: Record<string, unknown> = {},
  ): Promise<string> {
    return file(
      'config',
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'ctx',
        clusters: [{ name: 'c', cluster }],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      }),
    );
  }

  const b64 = (text: string): string => Buffer.from(text).toString('base64');

  describe('location', () => {
    it('appends a slash to the server path and keeps the server path apart', async () => {
      const backend = await backendFor(['--target', 'http://127.0.0.1:8080/base']);
      expect(backend.location).toBe('http://127.0.0.1:8080/base/');
      expect(backend.serverPath).toBe('/base');
      expect(backend.display).toBe('http://127.0.0.1:8080/base');
      expect(backend.token).toBeUndefined();
      expect(backend.agent).toBeInstanceOf(http.Agent);
      expect(backend.agent).not.toBeInstanceOf(https.Agent);
    });

    it('gives a unix socket backend the location http://localhost/ and a readable display', async () => {
      const backend = await backendFor(['--target', 'http+unix://%2Ftmp%2Fx.sock/v1.43']);
      expect(backend.location).toBe('http://localhost/v1.43/');
      expect(backend.serverPath).toBe('/v1.43');
      expect(backend.display).toBe('unix:/tmp/x.sock (path /v1.43)');
      const plain = await backendFor(['--target', 'unix:/tmp/x.sock']);
      expect(plain.display).toBe('unix:/tmp/x.sock');
      expect(plain.serverPath).toBe('/');
    });

    it('passes --keepalive to the agent', async () => {
      const backend = await backendFor(['--target', 'http://127.0.0.1:8080', '--keepalive', '45s']);
      // `options` is there on every agent at run time; @types/node declares it on https.Agent only.
      expect((backend.agent as unknown as { options: http.AgentOptions }).options).toMatchObject({
        keepAlive: true,
        keepAliveMsecs: 45000,
      });
    });
  });

  describe('token', () => {
    const HTTPS = 'https://127.0.0.1:1';

    it('takes --token', async () => {
      expect((await backendFor(['--target', HTTPS, '--token', 'abc'])).token).toBe('abc');
    });

    it('takes --token-file, trimmed', async () => {
      const path = await file('token', '  from-file\n\n');
      expect((await backendFor(['--target', HTTPS, '--token-file', path])).token).toBe('from-file');
    });

    it('refuses an empty --token-file', async () => {
      const path = await file('token', ' \n');
      const err = await flagError(['--target', 'http://127.0.0.1:1', '--token-file', path]);
      expect(err.message).toContain('--token-file');
      expect(err.message).toContain('empty');
    });

    it('refuses a missing --token-file, naming the flag', async () => {
      const path = join(await tempDir(), 'missing');
      const err = await flagError(['--target', 'http://127.0.0.1:1', '--token-file', path]);
      expect(err.message).toContain('--token-file');
      expect(err.message).toContain('ENOENT');
    });

    it('takes the kubeconfig token, and --token over it', async () => {
      const config = await kubeconfig(
        { server: 'https://127.0.0.1:8080' },
        { token: 'kube-token' },
      );
      expect((await backendFor(['--kubeconfig', config])).token).toBe('kube-token');
      expect((await backendFor(['--kubeconfig', config, '--token', 'flag'])).token).toBe('flag');
      const tokenFile = await file('token', 'file-token\n');
      expect((await backendFor(['--kubeconfig', config, '--token-file', tokenFile])).token).toBe(
        'file-token',
      );
    });

    // clientcmd reads a user's credentials only when the server is https (`isConfigTransportTLS`).
    it('withholds --token, --token-file and the kubeconfig token from a plain-http backend', async () => {
      const tokenFile = await file('token', 'file-token\n');
      const config = await kubeconfig({ server: 'http://127.0.0.1:8080' }, { token: 'kube-token' });
      for (const argv of [
        ['--target', 'http://127.0.0.1:1', '--token', 'abc'],
        ['--target', 'http://127.0.0.1:1', '--token-file', tokenFile],
        ['--kubeconfig', config],
      ]) {
        const backend = await backendFor(argv);
        expect({ argv, token: backend.token, withheld: backend.withheld }).toEqual({
          argv,
          token: undefined,
          withheld: ['token'],
        });
      }
    });

    it('withholds a kubeconfig client certificate from a plain-http backend', async () => {
      const config = await kubeconfig(
        { server: 'http://127.0.0.1:8080' },
        {
          'client-certificate-data': b64(client.cert),
          'client-key-data': b64(client.key),
          token: 'kube-token',
        },
      );
      const backend = await backendFor(['--kubeconfig', config]);
      expect(backend.withheld).toEqual(['token', 'client certificate']);
      expect(backend.agent).not.toBeInstanceOf(https.Agent);
    });

    it('withholds nothing from an https backend, and keeps the token for a unix socket', async () => {
      expect((await backendFor(['--target', HTTPS, '--token', 'abc'])).withheld).toEqual([]);
      const socket = await backendFor(['--target', 'unix:/tmp/x.sock', '--token', 'abc']);
      expect({ token: socket.token, withheld: socket.withheld }).toEqual({
        token: 'abc',
        withheld: [],
      });
    });
  });

  describe('TLS', () => {
    it.each([
      ['--certificate-authority', 'ca.pem'],
      ['--client-certificate', 'cert.pem'],
      ['--client-key', 'key.pem'],
      ['--tls-server-name', 'example.com'],
    ])('refuses %s with an http target', async (flag, value) => {
      const err = await flagError(['--target', 'http://127.0.0.1:1', flag, value]);
      expect(err.message).toBe(`${flag} needs an https backend`);
    });

    it('refuses --insecure-skip-tls-verify with an http or unix target', async () => {
      expect(
        (await flagError(['--target', 'http://127.0.0.1:1', '--insecure-skip-tls-verify'])).message,
      ).toBe('--insecure-skip-tls-verify needs an https backend');
      expect(
        (await flagError(['--target', 'unix:/tmp/x.sock', '--insecure-skip-tls-verify'])).message,
      ).toBe('--insecure-skip-tls-verify needs an https backend');
    });

    it('refuses a certificate authority together with --insecure-skip-tls-verify', async () => {
      const ca = await file('ca.pem', tls.ca);
      const err = await flagError([
        '--target',
        'https://127.0.0.1:1',
        '--certificate-authority',
        ca,
        '--insecure-skip-tls-verify',
      ]);
      expect(err.message).toContain('--insecure-skip-tls-verify');
    });

    it('refuses a client certificate without its key, and a key without its certificate', async () => {
      const cert = await file('cert.pem', client.cert);
      const key = await file('key.pem', client.key);
      const noKey = await flagError([
        '--target',
        'https://127.0.0.1:1',
        '--client-certificate',
        cert,
      ]);
      expect(noKey.message).toContain('--client-key');
      const noCert = await flagError(['--target', 'https://127.0.0.1:1', '--client-key', key]);
      expect(noCert.message).toContain('--client-certificate');
    });

    it.each(['--certificate-authority', '--client-certificate', '--client-key'])(
      'refuses a missing %s file, naming the flag',
      async (flag) => {
        const missing = join(await tempDir(), 'missing.pem');
        const err = await flagError(['--target', 'https://127.0.0.1:1', flag, missing]);
        expect(err.message).toContain(flag);
        expect(err.message).toContain(JSON.stringify(missing));
      },
    );

    it('builds an https agent with the CA, client certificate, key and server name from the flags', async () => {
      const ca = await file('ca.pem', tls.ca);
      const cert = await file('cert.pem', client.cert);
      const key = await file('key.pem', client.key);
      const backend = await backendFor([
        '--target',
        'https://127.0.0.1:6443',
        '--certificate-authority',
        ca,
        '--client-certificate',
        cert,
        '--client-key',
        key,
        '--tls-server-name',
        'example.com',
      ]);
      expect(backend.agent).toBeInstanceOf(https.Agent);
      const options = tlsOptionsOf(backend);
      expect(String(options.ca)).toBe(tls.ca);
      expect(String(options.cert)).toBe(client.cert);
      expect(String(options.key)).toBe(client.key);
      expect(options.servername).toBe('example.com');
      expect(options.rejectUnauthorized).toBe(true);
    });

    it('turns verification off with --insecure-skip-tls-verify', async () => {
      const backend = await backendFor([
        '--target',
        'https://127.0.0.1:6443',
        '--insecure-skip-tls-verify',
      ]);
      expect(tlsOptionsOf(backend).rejectUnauthorized).toBe(false);
    });

    it('takes the server and TLS material from a kubeconfig', async () => {
      const config = await kubeconfig(
        {
          server: 'https://127.0.0.1:6443',
          'certificate-authority-data': b64(tls.ca),
          'tls-server-name': 'kubernetes',
        },
        { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) },
      );
      const backend = await backendFor(['--kubeconfig', config]);
      expect(backend.location).toBe('https://127.0.0.1:6443/');
      const options = tlsOptionsOf(backend);
      expect(String(options.ca)).toBe(tls.ca);
      expect(String(options.cert)).toBe(client.cert);
      expect(String(options.key)).toBe(client.key);
      expect(options.servername).toBe('kubernetes');
      expect(options.rejectUnauthorized).toBe(true);
    });

    it('lets the flags win over the kubeconfig values', async () => {
      const other = makeTls(['other.example']);
      const config = await kubeconfig(
        {
          server: 'https://127.0.0.1:6443',
          'certificate-authority-data': b64(other.ca),
          'tls-server-name': 'kubernetes',
        },
        {
          'client-certificate-data': b64(other.cert),
          'client-key-data': b64(other.key),
          token: 'kube-token',
        },
      );
      const ca = await file('ca.pem', tls.ca);
      const cert = await file('cert.pem', client.cert);
      const key = await file('key.pem', client.key);
      const backend = await backendFor([
        '--kubeconfig',
        config,
        '--target',
        'https://127.0.0.2:7443/over',
        '--certificate-authority',
        ca,
        '--client-certificate',
        cert,
        '--client-key',
        key,
        '--tls-server-name',
        'example.com',
        '--token',
        'flag-token',
      ]);
      expect(backend.location).toBe('https://127.0.0.2:7443/over/');
      expect(backend.token).toBe('flag-token');
      const options = tlsOptionsOf(backend);
      expect(String(options.ca)).toBe(tls.ca);
      expect(String(options.cert)).toBe(client.cert);
      expect(String(options.key)).toBe(client.key);
      expect(options.servername).toBe('example.com');
    });

    // client-go's getCluster: an --insecure-skip-tls-verify override clears the kubeconfig's CA, and
    // a --certificate-authority override clears its insecure-skip-tls-verify.
    it('lets --insecure-skip-tls-verify win over a kubeconfig certificate authority', async () => {
      const config = await kubeconfig({
        server: 'https://127.0.0.1:6443',
        'certificate-authority-data': b64(tls.ca),
      });
      const backend = await backendFor(['--kubeconfig', config, '--insecure-skip-tls-verify']);
      expect(tlsOptionsOf(backend).rejectUnauthorized).toBe(false);
      expect(tlsOptionsOf(backend).ca).toBeUndefined();
    });

    it('lets --certificate-authority win over a kubeconfig insecure-skip-tls-verify', async () => {
      const config = await kubeconfig({
        server: 'https://127.0.0.1:6443',
        'insecure-skip-tls-verify': true,
      });
      const ca = await file('ca.pem', tls.ca);
      const backend = await backendFor(['--kubeconfig', config, '--certificate-authority', ca]);
      expect(tlsOptionsOf(backend).rejectUnauthorized).toBe(true);
      expect(String(tlsOptionsOf(backend).ca)).toBe(tls.ca);
    });

    it('reaches an https backend for real with the CA from the flags, and refuses it without', async () => {
      const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) =>
        res.end(`tls ${req.url}`),
      );
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      track({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
      const { port } = server.address() as { port: number };
      const ca = await file('ca.pem', tls.ca);
      const good = await startCli([
        '--target',
        `https://127.0.0.1:${port}`,
        '--certificate-authority',
        ca,
      ]);
      const ok = await request(`${good.url}/hello`);
      expect(ok.status).toBe(200);
      expect(ok.body.toString()).toBe('tls /hello');
      const bad = await startCli(['--target', `https://127.0.0.1:${port}`]);
      const refused = await request(`${bad.url}/hello`);
      expect(refused.status).toBe(502);
      expect(refused.body.toString()).not.toContain('tls /hello');
      expect(bad.errors).toHaveLength(1);
    });
  });

  describe('without --target', () => {
    let saved: string | undefined;

    beforeEach(() => {
      saved = process.env.KUBECONFIG;
    });

    afterEach(() => {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    });

    it('reads $KUBECONFIG', async () => {
      process.env.KUBECONFIG = await kubeconfig(
        { server: 'https://127.0.0.1:8080/k' },
        { token: 'env-token' },
      );
      const backend = await backendFor([]);
      expect(backend.location).toBe('https://127.0.0.1:8080/k/');
      expect(backend.token).toBe('env-token');
    });

    it('refuses with `no backend: ...` when there is no kubeconfig', async () => {
      const missing = join(await tempDir(), 'no-such-config');
      process.env.KUBECONFIG = missing;
      const err = await flagError([]);
      expect(err.message.startsWith('no backend: ')).toBe(true);
      expect(err.message).toContain('--target');
      expect(err.message).toContain(missing);
    });

    it('refuses --context with --target and no --kubeconfig', async () => {
      const err = await flagError(['--target', 'http://127.0.0.1:1', '--context', 'dev']);
      expect(err.message).toContain('--context');
    });
  });
});

describe('a unix-socket backend', () => {
  /** An HTTP and WebSocket echo backend listening on a unix socket in a temp dir. */
  async function startUnixBackend() {
    const socketPath = join(await tempDir('cli-unix-'), 'backend.sock');
    const seen: Array<{ url: string; host: string | undefined }> = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', host: req.headers.host });
      res.end(`unix ${req.method} ${req.url}`);
    });
    const { handshakes, wss } = wsEcho(server);
    server.listen(socketPath);
    await once(server, 'listening');
    track({
      async close() {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    });
    return { socketPath, seen, handshakes };
  }

  it.each([
    ['unix:PATH', (path: string) => `unix:${path}`],
    ['unix://PATH', (path: string) => `unix://${path}`],
    ['http+unix://', (path: string) => `http+unix://${encodeURIComponent(path)}`],
  ])('carries a plain request there with Host localhost (%s)', async (_form, target) => {
    const backend = await startUnixBackend();
    const proxy = await startCli(['--target', target(backend.socketPath)]);
    const answer = await request(`${proxy.url}/v1.43/info?all=1`);
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('unix GET /v1.43/info?all=1');
    expect(backend.seen).toEqual([{ url: '/v1.43/info?all=1', host: 'localhost' }]);
  });

  it('carries a WebSocket there with Host localhost', async () => {
    const backend = await startUnixBackend();
    const proxy = await startCli([
      '--target',
      `unix:${backend.socketPath}`,
      '--token',
      'sock-token',
    ]);
    const { ws, reply } = await wsRoundTrip(`ws://127.0.0.1:${proxy.port}/attach?stream=1`, 'hi');
    expect(reply).toBe('echo:hi');
    await closeWs(ws);
    expect(backend.handshakes).toHaveLength(1);
    expect(backend.handshakes[0]!.url).toBe('/attach?stream=1');
    expect(backend.handshakes[0]!.headers.host).toBe('localhost');
    expect(backend.handshakes[0]!.headers.authorization).toBe('Bearer sock-token');
  });

  it('appends the server path of http+unix:// with --append-server-path', async () => {
    const backend = await startUnixBackend();
    const target = `http+unix://${encodeURIComponent(backend.socketPath)}/v1.43`;
    const proxy = await startCli(['--target', target, '--append-server-path']);
    const answer = await request(`${proxy.url}/containers/json`);
    expect(answer.body.toString()).toBe('unix GET /v1.43/containers/json');
  });

  it('answers 502 without a stack trace when the socket is missing', async () => {
    const missing = join(await tempDir(), 'missing.sock');
    const proxy = await startCli(['--target', `unix:${missing}`]);
    const answer = await request(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    const body = answer.body.toString();
    expect(body).toMatch(/ENOENT/);
    expect(body.endsWith('\n')).toBe(true);
    expect(body).not.toMatch(/\n\s+at /);
    expect(proxy.errors).toEqual([`Error while proxying request: ${body.slice(0, -1)}`]);
  });
});
