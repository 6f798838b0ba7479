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
import http from 'node:http';
import https from 'node:https';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { refuseTlsFlags, tlsOf, tokenOf, withheldCredentials } from './credentials.js';
import type { CliOptions } from './cli-options.js';
import { FlagError, invalidValue } from './flag-error.js';
import { defaultKubeconfigPath, loadKubeconfig } from './kubeconfig.js';
import type { KubeTarget } from './kubeconfig.js';
import { proxiedAgent } from './proxy-url.js';

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
  /**
   * The bearer token sent on every request that has no `Authorization` of its own; never set for a
   * plain-http backend over TCP (credentials go only over TLS, as in client-go).
   */
  token: string | undefined;
  /** Credentials configured but not sent because the backend has no TLS, for a warning (`['token']`). */
  withheld: string[];
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
  return invalidValue(value, 'target', rule);
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
  if (url.username || url.password)
    throw badTarget(value, 'credentials in the URL are not supported; use --token');
  if (url.search || url.hash) throw badTarget(value, 'a query or fragment is not allowed');
  if (url.protocol === 'http+unix:') {
    const socketPath = decodeURIComponent(url.hostname);
    if (!socketPath) throw badTarget(value, 'write http+unix://%2Fpath%2Fto%2Fsocket/path');
    return {
      url: new URL(url.pathname || '/', 'http://localhost'),
      socketPath: resolve(socketPath),
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badTarget(value, 'the scheme must be http, https, unix or http+unix');
  }
  if (!url.hostname) throw badTarget(value, 'the host is missing');
  return { url };
}

/** The kubeconfig to read, if any: the named one, or the default when no `--target` is given. */
async function kubeTarget(options: CliOptions): Promise<KubeTarget | undefined> {
  if (options.kubeconfig) return loadKubeconfig(options.kubeconfig, options.context);
  if (options.target !== undefined) {
    if (options.context)
      throw new FlagError('--context needs a kubeconfig: give --kubeconfig, or drop --target');
    return undefined;
  }
  const path = defaultKubeconfigPath();
  try {
    return await loadKubeconfig(path, options.context);
  } catch (err) {
    const missing = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    if (missing)
      throw new FlagError(
        `no backend: give --target URL, or --kubeconfig FILE (there is no ${path})`,
      );
    throw err;
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
  const tls = url.protocol === 'https:';
  if (!tls) refuseTlsFlags(options);
  const withheld = tls ? [] : withheldCredentials(token, kube, socketPath !== undefined);
  if (socketPath !== undefined) {
    return {
      location: location.href,
      display: `unix:${socketPath}${serverPath === '/' ? '' : ` (path ${serverPath})`}`,
      serverPath,
      agent: new UnixSocketAgent(socketPath, agentOptions),
      token,
      withheld,
    };
  }
  const settings = tls ? { ...agentOptions, ...(await tlsOf(options, kube)) } : agentOptions;
  const agent = kube?.proxyUrl
    ? proxiedAgent(new URL(kube.proxyUrl), tls, settings)
    : tls
      ? new https.Agent(settings)
      : new http.Agent(settings);
  return {
    location: location.href,
    display: url.href,
    serverPath,
    agent,
    token: tls ? token : undefined,
    withheld,
  };
}
