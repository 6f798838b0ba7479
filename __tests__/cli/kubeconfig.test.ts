import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { stringify } from 'yaml';
import {
  KubeconfigError,
  defaultKubeconfigPath,
  loadKubeconfig,
} from '../../lib/cli/kubeconfig.js';

// Made-up PEM texts: the loader carries bytes and never parses certificates.
const CA_PEM = '-----BEGIN CERTIFICATE-----\nZmFrZSBjYQ==\n-----END CERTIFICATE-----\n';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nZmFrZSBjZXJ0\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nZmFrZSBrZXk=\n-----END PRIVATE KEY-----\n';
const b64 = (text: string) => Buffer.from(text).toString('base64');

type Mapping = Record<string, unknown>;

/** A kubeconfig with contexts `dev` (current) and `prod`, overridable piece by piece. */
function config(over: { cluster?: Mapping; user?: Mapping; top?: Mapping } = {}): Mapping {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'dev',
    clusters: [
      { name: 'dev-cluster', cluster: { server: 'https://127.0.0.1:6443', ...over.cluster } },
      { name: 'prod-cluster', cluster: { server: 'https://127.0.0.2:6443' } },
    ],
    users: [
      { name: 'dev-user', user: { token: 'dev-token', ...over.user } },
      { name: 'prod-user', user: { token: 'prod-token' } },
    ],
    contexts: [
      { name: 'dev', context: { cluster: 'dev-cluster', user: 'dev-user', namespace: 'default' } },
      { name: 'prod', context: { cluster: 'prod-cluster', user: 'prod-user' } },
    ],
    ...over.top,
  };
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeconfig-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: string | Mapping): Promise<string> {
  const file = join(dir, name);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

async function loadError(file: string, context?: string): Promise<KubeconfigError> {
  const err: unknown = await loadKubeconfig(file, context).then(
    () => new Error('expected loadKubeconfig to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeconfigError);
  const kerr = err as KubeconfigError;
  expect(kerr.name).toBe('KubeconfigError');
  expect(kerr.file).toBe(file);
  expect(kerr.message.startsWith(`kubeconfig ${file}: `)).toBe(true);
  expect(kerr.message).not.toContain('\n');
  return kerr;
}

describe('loadKubeconfig', () => {
  it('reads inline base64 data, token and tls-server-name from the current context', async () => {
    const file = await write(
      'config',
      config({
        cluster: { 'certificate-authority-data': b64(CA_PEM), 'tls-server-name': 'kubernetes' },
        user: { 'client-certificate-data': b64(CERT_PEM), 'client-key-data': b64(KEY_PEM) },
      }),
    );
    const target = await loadKubeconfig(file);
    expect(target).toEqual({
      server: 'https://127.0.0.1:6443',
      ca: Buffer.from(CA_PEM),
      cert: Buffer.from(CERT_PEM),
      key: Buffer.from(KEY_PEM),
      token: 'dev-token',
      insecureSkipTlsVerify: false,
      tlsServerName: 'kubernetes',
    });
  });

  it('reads a kubeconfig as kubectl writes it, with data split over lines', async () => {
    const folded = b64(CA_PEM).replace(/(.{16})/g, '$1\n        ');
    const file = await write(
      'kubectl-style',
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- cluster:',
        '    certificate-authority-data: >-',
        `        ${folded}`,
        '    server: https://127.0.0.1:6443',
        '  name: kind-kind',
        'contexts:',
        '- context: {cluster: kind-kind, user: kind-kind}',
        '  name: kind-kind',
        'current-context: kind-kind',
        'preferences: {}',
        'users:',
        '- name: kind-kind',
        '  user:',
        `    client-certificate-data: ${b64(CERT_PEM)}`,
        `    client-key-data: ${b64(KEY_PEM)}`,
        '',
      ].join('\n'),
    );
    const target = await loadKubeconfig(file);
    expect(target.ca).toEqual(Buffer.from(CA_PEM));
    expect(target.cert).toEqual(Buffer.from(CERT_PEM));
    expect(target.key).toEqual(Buffer.from(KEY_PEM));
    expect(target.token).toBeUndefined();
  });

  it('reads files named by relative paths from the kubeconfig directory', async () => {
    await write('kube/pki/ca.pem', CA_PEM);
    await write('kube/pki/client.crt', CERT_PEM);
    await write('kube/pki/client.key', KEY_PEM);
    const file = await write(
      'kube/config',
      config({
        cluster: { 'certificate-authority': 'pki/ca.pem' },
        user: {
          'client-certificate': 'pki/client.crt',
          'client-key': join(dir, 'kube/pki/client.key'),
        },
      }),
    );
    for (const path of [file, relative(process.cwd(), file)]) {
      const target = await loadKubeconfig(path);
      expect(target.ca).toEqual(Buffer.from(CA_PEM));
      expect(target.cert).toEqual(Buffer.from(CERT_PEM));
      expect(target.key).toEqual(Buffer.from(KEY_PEM));
    }
  });

  it('prefers inline data to the file it replaces', async () => {
    const file = await write(
      'config',
      config({
        cluster: {
          'certificate-authority-data': b64(CA_PEM),
          'certificate-authority': 'missing-ca.pem',
        },
        user: {
          'client-certificate-data': b64(CERT_PEM),
          'client-certificate': 'missing.crt',
          'client-key-data': b64(KEY_PEM),
          'client-key': 'missing.key',
        },
      }),
    );
    const target = await loadKubeconfig(file);
    expect(target.ca).toEqual(Buffer.from(CA_PEM));
    expect(target.cert).toEqual(Buffer.from(CERT_PEM));
    expect(target.key).toEqual(Buffer.from(KEY_PEM));
  });

  it('reads the token from tokenFile, trimmed, in preference to token', async () => {
    await write('secrets/token', '  file-token\n');
    const file = await write(
      'config',
      config({ user: { token: 'inline-token', tokenFile: 'secrets/token' } }),
    );
    expect((await loadKubeconfig(file)).token).toBe('file-token');
  });

  it('selects the context given, with its own cluster and user', async () => {
    const file = await write('config', config());
    expect(await loadKubeconfig(file, 'prod')).toEqual({
      server: 'https://127.0.0.2:6443',
      token: 'prod-token',
      insecureSkipTlsVerify: false,
    });
  });

  it('uses current-context when the context given is empty', async () => {
    const file = await write('config', config());
    expect((await loadKubeconfig(file, '')).server).toBe('https://127.0.0.1:6443');
  });

  it('returns no credentials for a context without a user', async () => {
    const file = await write(
      'config',
      config({
        top: { contexts: [{ name: 'dev', context: { cluster: 'dev-cluster' } }] },
      }),
    );
    expect(await loadKubeconfig(file)).toEqual({
      server: 'https://127.0.0.1:6443',
      insecureSkipTlsVerify: false,
    });
  });

  it('reads insecure-skip-tls-verify, YAML 1.1 booleans included as in kubectl', async () => {
    const file = await write('config', config({ cluster: { 'insecure-skip-tls-verify': true } }));
    expect((await loadKubeconfig(file)).insecureSkipTlsVerify).toBe(true);
    const text = stringify(config()).replace(
      'server: https://127.0.0.1:6443',
      'server: https://127.0.0.1:6443\n      insecure-skip-tls-verify: yes',
    );
    expect(text).toContain('insecure-skip-tls-verify: yes');
    const yes = await write('config-yes', text);
    expect((await loadKubeconfig(yes)).insecureSkipTlsVerify).toBe(true);
  });
});

describe('loadKubeconfig errors', () => {
  it('names an unreadable kubeconfig file', async () => {
    const err = await loadError(join(dir, 'nope'));
    expect(err.message).toContain('cannot read the file (ENOENT)');
  });

  it('names invalid YAML on one line', async () => {
    const file = await write('config', 'clusters: [\n  - name: a\n  cluster: {server: x\n');
    expect((await loadError(file)).message).toContain('invalid YAML: ');
  });

  it('rejects an empty file and a top level that is not a mapping', async () => {
    expect((await loadError(await write('empty', ''))).message).toContain('the file is empty');
    expect((await loadError(await write('list', '- a\n- b\n'))).message).toContain(
      'the top level is not a mapping',
    );
  });

  it('says so when no current-context is set and none is given', async () => {
    const file = await write('config', config({ top: { 'current-context': '' } }));
    expect((await loadError(file)).message).toContain('no current-context is set (use --context)');
  });

  it('names a context that does not exist', async () => {
    const file = await write('config', config());
    expect((await loadError(file, 'staging')).message).toContain('context "staging" not found');
  });

  it('names the current-context when it does not exist', async () => {
    const file = await write('config', config({ top: { 'current-context': 'gone' } }));
    expect((await loadError(file)).message).toContain('context "gone" not found');
  });

  it('names a cluster or user that is not found', async () => {
    const contexts = [
      { name: 'a', context: { cluster: 'no-cluster', user: 'dev-user' } },
      { name: 'b', context: { cluster: 'dev-cluster', user: 'no-user' } },
    ];
    const file = await write('config', config({ top: { contexts } }));
    expect((await loadError(file, 'a')).message).toContain('cluster "no-cluster" not found');
    expect((await loadError(file, 'b')).message).toContain('user "no-user" not found');
  });

  it('names a context without a cluster', async () => {
    const file = await write(
      'config',
      config({ top: { contexts: [{ name: 'dev', context: { user: 'dev-user' } }] } }),
    );
    expect((await loadError(file)).message).toContain('context "dev" names no cluster');
  });

  it('rejects a name defined twice', async () => {
    const contexts = [
      { name: 'dev', context: { cluster: 'dev-cluster' } },
      { name: 'dev', context: { cluster: 'prod-cluster' } },
    ];
    const file = await write('config', config({ top: { contexts } }));
    expect((await loadError(file)).message).toContain('context "dev" is defined more than once');
  });

  it('names a cluster without a server', async () => {
    const file = await write('config', config({ cluster: { server: undefined } }));
    expect((await loadError(file)).message).toContain('cluster "dev-cluster": server is missing');
  });

  it('names fields of the wrong type', async () => {
    const port = await write('port', config({ cluster: { server: 6443 } }));
    expect((await loadError(port)).message).toContain(
      'cluster "dev-cluster": server must be a string',
    );
    const flag = await write('flag', config({ cluster: { 'insecure-skip-tls-verify': 'maybe' } }));
    expect((await loadError(flag)).message).toContain(
      'insecure-skip-tls-verify must be true or false',
    );
    const list = await write('list', config({ top: { users: { 'dev-user': {} } } }));
    expect((await loadError(list)).message).toContain('users must be a list');
  });

  it('names invalid base64 data', async () => {
    const file = await write(
      'config',
      config({ cluster: { 'certificate-authority-data': 'not base64!' } }),
    );
    expect((await loadError(file)).message).toContain(
      'certificate-authority-data is not valid base64',
    );
  });

  it('names an unreadable certificate-authority, client certificate, key or tokenFile', async () => {
    await write('ok.crt', CERT_PEM);
    await write('ok.key', KEY_PEM);
    const cases: Array<[Parameters<typeof config>[0], string]> = [
      [
        { cluster: { 'certificate-authority': 'ca.pem' } },
        `cluster "dev-cluster" certificate-authority ca.pem (ENOENT)`,
      ],
      [
        { user: { 'client-certificate': 'c.crt', 'client-key': 'ok.key' } },
        `user "dev-user" client-certificate c.crt (ENOENT)`,
      ],
      [
        { user: { 'client-certificate': 'ok.crt', 'client-key': 'k.key' } },
        `user "dev-user" client-key k.key (ENOENT)`,
      ],
      [{ user: { tokenFile: 'token' } }, `user "dev-user" tokenFile token (ENOENT)`],
    ];
    for (const [over, detail] of cases) {
      const file = await write('config', config(over));
      expect((await loadError(file)).message).toContain(`cannot read ${detail}`);
    }
  });

  it('requires a client certificate and key together', async () => {
    const certOnly = await write(
      'a',
      config({ user: { 'client-certificate-data': b64(CERT_PEM) } }),
    );
    expect((await loadError(certOnly)).message).toContain(
      'client-certificate is set without client-key',
    );
    const keyOnly = await write('b', config({ user: { 'client-key-data': b64(KEY_PEM) } }));
    expect((await loadError(keyOnly)).message).toContain(
      'client-key is set without client-certificate',
    );
  });

  it('rejects a CA together with insecure-skip-tls-verify, as client-go does', async () => {
    const file = await write(
      'config',
      config({
        cluster: { 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64(CA_PEM) },
      }),
    );
    expect((await loadError(file)).message).toContain('mutually exclusive');
  });

  it.each([
    [
      { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } },
      'exec credential plugins are not supported; use --token',
    ],
    [{ 'auth-provider': { name: 'oidc' } }, 'auth-provider is not supported; use --token'],
    [
      { username: 'admin', password: 'secret' },
      'basic authentication (username/password) is not supported; use --token',
    ],
    [
      { password: 'secret' },
      'basic authentication (username/password) is not supported; use --token',
    ],
    [{ as: 'someone' }, 'impersonation (as) is not supported'],
    [{ 'as-groups': ['system:masters'] }, 'impersonation (as-groups) is not supported'],
  ])('rejects the unsupported user setting %j', async (user, detail) => {
    const file = await write('config', config({ user }));
    expect((await loadError(file)).message).toContain(`user "dev-user": ${detail}`);
  });

  it("reads a cluster's http or https proxy-url", async () => {
    const file = await write(
      'config',
      config({ cluster: { 'proxy-url': 'http://u:p@127.0.0.1:3128' } }),
    );
    expect((await loadKubeconfig(file)).proxyUrl).toBe('http://u:p@127.0.0.1:3128');
  });

  it.each([
    ['socks5://127.0.0.1:1080', 'proxy-url: socks5 proxies are not supported'],
    ['ftp://127.0.0.1', 'proxy-url must be an http or https URL'],
    ['not a url', 'proxy-url is not a URL'],
  ])('rejects the proxy-url %s', async (value, detail) => {
    const file = await write('config', config({ cluster: { 'proxy-url': value } }));
    expect((await loadError(file)).message).toContain(`cluster "dev-cluster": ${detail}`);
  });
});

describe('defaultKubeconfigPath', () => {
  it('takes the only entry of $KUBECONFIG', () => {
    expect(defaultKubeconfigPath({ KUBECONFIG: '/etc/kube/a' })).toBe('/etc/kube/a');
  });

  it('takes the first non-empty entry of a $KUBECONFIG list', () => {
    expect(defaultKubeconfigPath({ KUBECONFIG: ['/a', '/b'].join(delimiter) })).toBe('/a');
    expect(defaultKubeconfigPath({ KUBECONFIG: ['', '/b', '/c'].join(delimiter) })).toBe('/b');
  });

  it('falls back to ~/.kube/config when $KUBECONFIG is unset or empty', () => {
    expect(defaultKubeconfigPath({ HOME: '/home/someone' })).toBe(
      join('/home/someone', '.kube', 'config'),
    );
    expect(defaultKubeconfigPath({ KUBECONFIG: '', HOME: '/home/x' })).toBe(
      join('/home/x', '.kube', 'config'),
    );
    expect(defaultKubeconfigPath({})).toBe(join(homedir(), '.kube', 'config'));
  });

  it('reads process.env by default', () => {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = '/from/process/env';
    try {
      expect(defaultKubeconfigPath()).toBe('/from/process/env');
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });
});
