/**
 * The backend the command line proxies to, from `--target` and the TLS and token flags, or from a
 * kubeconfig (kubectl proxy's `--kubeconfig`/`--context`); flags given on the command line win over
 * the kubeconfig's values, as kubectl's global flags do.
 *
 * `--target` takes an `http://` or `https://` URL, or a backend on a unix socket:
 * - `unix:/var/run/docker.sock` or `unix:///var/run/docker.sock` (Docker's `DOCKER_HOST` form): the
 *   socket, paths from `/`;
 * - `http+unix://%2Fvar%2Frun%2Fdocker.sock/v1.43/`: the socket percent-encoded as the host, then a
 *   server path (used with `--append-server-path`).
 * Requests to a unix-socket backend carry `Host: localhost`.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { FlagError } from './flags.js';
import type { CliOptions } from './flags.js';
import { defaultKubeconfigPath, loadKubeconfig } from './kubeconfig.js';
import type { KubeTarget } from './kubeconfig.js';

/** Everything the server needs to reach the backend. */
export interface Backend {
  /** The `location` for `upgradeAware`: scheme, host and server path, ending in `/`. */
  location: string;
  /** The backend as a person reads it: the URL, or `unix:PATH` and the server path. */
  display: string;
  /** The server path, `/` when none (kubectl warns about it unless `--append-server-path`). */
  serverPath: string;
  /** The connection pool, with the TLS settings or the unix-socket dialer. */
  agent: http.Agent;
  /** The bearer token sent on every request that has no `Authorization` of its own. */
  token: string | undefined;
}

/** Where `--target` points: the URL to request, and the socket to dial instead of its host. */
export interface ParsedTarget {
  url: URL;
  socketPath?: string;
}

/** An agent that dials one unix socket whatever the request's host and port. */
class UnixSocketAgent extends http.Agent {
  constructor(
    private readonly socketPath: string,
    options: http.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(): Socket {
    return createConnection({ path: this.socketPath });
  }
}

function badTarget(value: string, rule: string): FlagError {
  return new FlagError(`invalid value ${JSON.stringify(value)} for --target: ${rule}`);
}

/**
 * Parses a `--target` (or a kubeconfig `server`): an http(s) URL, with `http://` assumed when no
 * scheme is written, or one of the unix-socket forms described above.
 *
 * @throws {FlagError} naming `--target` when the value cannot be used.
 * @example parseTarget('unix:///var/run/docker.sock') // { url: http://localhost/, socketPath: '/var/run/docker.sock' }
 */
export function parseTarget(value: string): ParsedTarget {
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '' || path.startsWith('//')) throw badTarget(value, 'write unix:/path/to/socket');
    return { url: new URL('http://localhost/'), socketPath: resolve(path) };
  }
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw badTarget(value, 'not a URL');
  }
  if (url.username || url.password) throw badTarget(value, 'credentials in the URL are not supported; use --token');
  if (url.search || url.hash) throw badTarget(value, 'a query or fragment is not allowed');
  if (url.protocol === 'http+unix:') {
    const socketPath = decodeURIComponent(url.hostname);
    if (!socketPath) throw badTarget(value, 'write http+unix://%2Fpath%2Fto%2Fsocket/path');
    return { url: new URL(url.pathname || '/', 'http://localhost'), socketPath: resolve(socketPath) };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badTarget(value, 'the scheme must be http, https, unix or http+unix');
  }
  if (!url.hostname) throw badTarget(value, 'the host is missing');
  return { url };
}

async function readFlagFile(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new FlagError(`invalid value ${JSON.stringify(path)} for --${flag}: cannot read the file (${code})`);
  }
}

/** The kubeconfig to read, if any: the named one, or the default when no `--target` is given. */
async function kubeTarget(options: CliOptions): Promise<KubeTarget | undefined> {
  if (options.kubeconfig) return loadKubeconfig(options.kubeconfig, options.context);
  if (options.target !== undefined) {
    if (options.context) throw new FlagError('--context needs a kubeconfig: give --kubeconfig, or drop --target');
    return undefined;
  }
  const path = defaultKubeconfigPath();
  try {
    return await loadKubeconfig(path, options.context);
  } catch (err) {
    const missing = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    if (missing) throw new FlagError(`no backend: give --target URL, or --kubeconfig FILE (there is no ${path})`);
    throw err;
  }
}

/** The bearer token: `--token`, the `--token-file`, else the kubeconfig's. */
async function tokenOf(options: CliOptions, kube: KubeTarget | undefined): Promise<string | undefined> {
  if (options.token) return options.token;
  if (options.tokenFile) {
    const token = (await readFlagFile(options.tokenFile, 'token-file')).toString('utf8').trim();
    if (!token) throw new FlagError(`invalid value ${JSON.stringify(options.tokenFile)} for --token-file: the file is empty`);
    return token;
  }
  return kube?.token || undefined;
}

/** TLS settings for an https backend, flags over kubeconfig. */
async function tlsOf(options: CliOptions, kube: KubeTarget | undefined): Promise<https.AgentOptions> {
  if (options.insecureSkipTlsVerify && options.certificateAuthority) {
    throw new FlagError('cannot set --insecure-skip-tls-verify together with --certificate-authority');
  }
  // As client-go's overrides: either verification flag replaces the kubeconfig's choice of both.
  const fromKube = !options.insecureSkipTlsVerify && !options.certificateAuthority;
  const ca = options.certificateAuthority
    ? await readFlagFile(options.certificateAuthority, 'certificate-authority')
    : fromKube ? kube?.ca : undefined;
  const insecure = options.insecureSkipTlsVerify || (fromKube && (kube?.insecureSkipTlsVerify ?? false));
  const cert = options.clientCertificate ? await readFlagFile(options.clientCertificate, 'client-certificate') : kube?.cert;
  const key = options.clientKey ? await readFlagFile(options.clientKey, 'client-key') : kube?.key;
  if (Boolean(cert) !== Boolean(key)) {
    throw new FlagError('--client-certificate and --client-key must be given together');
  }
  // client-go drops the kubeconfig's tls-server-name when the server is given on the command line.
  const servername = options.tlsServerName || (options.target === undefined ? kube?.tlsServerName : undefined);
  return { ca, cert, key, rejectUnauthorized: !insecure, ...(servername ? { servername } : {}) };
}

const TLS_FLAGS = {
  certificateAuthority: 'certificate-authority',
  clientCertificate: 'client-certificate',
  clientKey: 'client-key',
  insecureSkipTlsVerify: 'insecure-skip-tls-verify',
  tlsServerName: 'tls-server-name',
} as const;

/** TLS flags mean nothing to a plain-http or unix-socket backend: a clear error beats ignoring them. */
function refuseTlsFlags(options: CliOptions): void {
  for (const [key, flag] of Object.entries(TLS_FLAGS)) {
    if (options[key as keyof typeof TLS_FLAGS]) throw new FlagError(`--${flag} needs an https backend`);
  }
}

/**
 * Resolves the backend from the command line, reading the kubeconfig and the files it names.
 *
 * @throws {FlagError} when a flag's value cannot be used.
 * @throws {KubeconfigError} when the kubeconfig cannot be used.
 */
export async function resolveBackend(options: CliOptions): Promise<Backend> {
  const kube = await kubeTarget(options);
  const { url, socketPath } = parseTarget(options.target ?? kube?.server ?? '');
  const serverPath = url.pathname || '/';
  const location = new URL(url.href);
  if (!location.pathname.endsWith('/')) location.pathname += '/';
  const agentOptions: http.AgentOptions = { keepAlive: true };
  if (options.keepalive > 0) agentOptions.keepAliveMsecs = options.keepalive;
  const token = await tokenOf(options, kube);
  if (url.protocol !== 'https:') refuseTlsFlags(options);
  if (socketPath !== undefined) {
    return {
      location: location.href,
      display: `unix:${socketPath}${serverPath === '/' ? '' : ` (path ${serverPath})`}`,
      serverPath,
      agent: new UnixSocketAgent(socketPath, agentOptions),
      token,
    };
  }
  const agent =
    url.protocol === 'https:'
      ? new https.Agent({ ...agentOptions, ...(await tlsOf(options, kube)) })
      : new http.Agent(agentOptions);
  return { location: location.href, display: url.href, serverPath, agent, token };
}
