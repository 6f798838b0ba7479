// The real command with `--kubeconfig` (docs/cli.md, "The backend"): a local HTTPS backend that requires a client
// certificate from a test CA, and a kubeconfig naming it with the CA file, the client certificate
// and key inline (base64) and a token, as `kubectl proxy --kubeconfig` is used. Plain requests and a
// WebSocket go through; --context picks another user; --insecure-skip-tls-verify and a missing CA.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeMutualTls } from '../fixtures/tls.js';
import type { MutualTlsFixture } from '../fixtures/tls.js';
import { request } from '../helpers/servers.js';
import { openWebSocket } from '../helpers/websockets.js';
import { echo, runCli, startBackend, startCliProcess } from './spawn.js';
import type { Backend } from './spawn.js';

let tls: MutualTlsFixture;
let dir: string;
let backend: Backend;

beforeAll(() => {
  tls = makeMutualTls(['alice', 'bob']);
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'upgrade-aware-kubeconfig-'));
  writeFileSync(join(dir, 'ca.pem'), tls.ca);
  backend = await startBackend({
    tls: { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true },
  });
});

afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

const base64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** One kubeconfig user: the client certificate and key of `name` inline, and the token `name-token`. */
function user(name: string): string[] {
  return [
    `- name: ${name}`,
    '  user:',
    `    client-certificate-data: ${base64(tls.clients[name].cert)}`,
    `    client-key-data: ${base64(tls.clients[name].key)}`,
    `    token: ${name}-token`,
  ];
}

/**
 * Writes a kubeconfig with one cluster (the backend; the CA file unless `withCa` is false), the
 * contexts `main` (user alice, the current one) and `other` (user bob), and returns its path.
 */
function writeKubeconfig(withCa = true): string {
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    'current-context: main',
    'clusters:',
    '- name: local',
    '  cluster:',
    `    server: ${backend.url}`,
    ...(withCa ? [`    certificate-authority: ${join(dir, 'ca.pem')}`] : []),
    'contexts:',
    '- name: main',
    '  context:',
    '    cluster: local',
    '    user: alice',
    '- name: other',
    '  context:',
    '    cluster: local',
    '    user: bob',
    'users:',
    ...user('alice'),
    ...user('bob'),
    '',
  ].join('\n');
  const file = join(dir, 'config');
  writeFileSync(file, text);
  return file;
}

/** What the backend saw of each request and upgrade: the client certificate's CN and the Authorization. */
const credentials = (seen: Backend['requests']): { cn?: string; authorization?: string }[] =>
  seen.map((r) => ({ cn: r.clientCN, authorization: r.headers.authorization }));

describe('--kubeconfig FILE --port 0', () => {
  it('reaches the HTTPS backend with the client certificate and the token', async () => {
    const cli = await startCliProcess(['--kubeconfig', writeKubeconfig(), '--port', '0']);
    const res = await request(`${cli.url}/api/v1/namespaces?limit=1`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('backend: GET /api/v1/namespaces?limit=1\n');
    expect(credentials(backend.requests)).toEqual([
      { cn: 'alice', authorization: 'Bearer alice-token' },
    ]);
    expect(backend.requests[0].headers.host).toBe(`127.0.0.1:${backend.port}`);
  });

  it('tunnels a WebSocket to the wss backend with the same credentials', async () => {
    const cli = await startCliProcess(['--kubeconfig', writeKubeconfig(), '--port', '0']);
    const ws = await openWebSocket(`ws://${cli.address}/api/v1/watch/pods?watch=1`);
    expect(await echo(ws, 'over TLS with a client certificate')).toBe(
      'over TLS with a client certificate',
    );
    expect(backend.upgrades.map((r) => r.url)).toEqual(['/api/v1/watch/pods?watch=1']);
    expect(credentials(backend.upgrades)).toEqual([
      { cn: 'alice', authorization: 'Bearer alice-token' },
    ]);
  });

  it("--context other uses the other context's user", async () => {
    const cli = await startCliProcess([
      '--kubeconfig',
      writeKubeconfig(),
      '--context',
      'other',
      '--port',
      '0',
    ]);
    expect((await request(`${cli.url}/version`)).status).toBe(200);
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    expect(await echo(ws, 'as bob')).toBe('as bob');
    expect(credentials(backend.requests)).toEqual([
      { cn: 'bob', authorization: 'Bearer bob-token' },
    ]);
    expect(credentials(backend.upgrades)).toEqual([
      { cn: 'bob', authorization: 'Bearer bob-token' },
    ]);
  });

  it('--context missing exits 2 with one line naming it', async () => {
    const exit = await runCli([
      '--kubeconfig',
      writeKubeconfig(),
      '--context',
      'missing',
      '--port',
      '0',
    ]);
    expect(exit.code).toBe(2);
    expect(exit.stdout).toBe('');
    expect(exit.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(exit.stderr).toContain('"missing"');
  });

  it('--insecure-skip-tls-verify works with a kubeconfig that has no CA', async () => {
    const cli = await startCliProcess([
      '--kubeconfig',
      writeKubeconfig(false),
      '--insecure-skip-tls-verify',
      '--port',
      '0',
    ]);
    expect((await request(`${cli.url}/version`)).status).toBe(200);
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    expect(await echo(ws, 'unverified')).toBe('unverified');
    expect(credentials(backend.requests)).toEqual([
      { cn: 'alice', authorization: 'Bearer alice-token' },
    ]);
    expect(backend.upgrades).toHaveLength(1);
  });

  it("answers an error, not the backend, when the backend's certificate cannot be verified", async () => {
    const cli = await startCliProcess(['--kubeconfig', writeKubeconfig(false), '--port', '0']);
    const res = await request(`${cli.url}/version`);
    const body = res.body.toString();
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(body).toMatch(/certificate|self[- ]signed|authority/i);
    expect(body).not.toMatch(/^\s*at /m);
    expect(backend.requests).toEqual([]);
    await cli.waitForStderr(
      (text) => text.includes('Error while proxying request:'),
      'the error line',
    );
  });
});
