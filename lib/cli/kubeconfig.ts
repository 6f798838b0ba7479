/**
 * Reads the backend and its credentials from a kubeconfig file, as `kubectl proxy` does
 * (client-go `tools/clientcmd`): one context, its cluster and its user.
 *
 * Precedence follows client-go: inline `*-data` wins over the file it replaces, `tokenFile` wins over
 * `token` (client-go re-reads the file and prefers it), and relative paths are relative to the
 * kubeconfig's own directory (clientcmd `ResolvePaths`). The YAML is read as YAML 1.1, like Go's
 * yaml.v2 underneath sigs.k8s.io/yaml, so `insecure-skip-tls-verify: yes` means true there too.
 */
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { Reader, type Mapping } from './kubeconfig-reader.js';

export { KubeconfigError } from './kubeconfig-reader.js';

/** Where and how to reach the backend, as taken from a kubeconfig. */
export interface KubeTarget {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  /** The cluster's `proxy-url`: an http or https proxy every connection is tunnelled through. */
  proxyUrl?: string;
}

/** Settings a user may rely on that this proxy does not implement, with what to use instead. */
const UNSUPPORTED_USER: ReadonlyArray<[string, string]> = [
  ['exec', 'exec credential plugins are not supported; use --token or --token-file'],
  ['auth-provider', 'auth-provider is not supported; use --token or --token-file'],
  ['username', 'basic authentication (username/password) is not supported; use --token'],
  ['password', 'basic authentication (username/password) is not supported; use --token'],
  ['as', 'impersonation (as) is not supported'],
  ['as-uid', 'impersonation (as-uid) is not supported'],
  ['as-groups', 'impersonation (as-groups) is not supported'],
  ['as-user-extra', 'impersonation (as-user-extra) is not supported'],
];

/**
 * The kubeconfig to read when none is given: the first entry of `$KUBECONFIG`, else `~/.kube/config`.
 *
 * @param [env=process.env] The environment to look in.
 * @example defaultKubeconfigPath({ KUBECONFIG: '/a:/b' }) // '/a' (on POSIX)
 */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((entry) => entry !== '');
  if (first !== undefined) return first;
  return join(env.HOME || homedir(), '.kube', 'config');
}

/**
 * Loads the server, CA, client certificate and key, and token of one context of a kubeconfig.
 *
 * @param path The kubeconfig file.
 * @param [context=current-context] The context to use (`--context`); empty means current-context.
 * @throws {KubeconfigError} When the file, the context, its cluster or its user cannot be used.
 * @example const target = await loadKubeconfig(defaultKubeconfigPath(), 'kind-kind');
 */
export async function loadKubeconfig(path: string, context?: string): Promise<KubeTarget> {
  const cfg = new Reader(path);
  const doc = cfg.parse(await cfg.read(resolve(path), 'the file'));
  const name = context || cfg.str(doc, 'current-context', 'the config');
  if (!name) cfg.fail('no current-context is set (use --context)');
  const ctx = cfg.entry(doc, 'contexts', 'context', name);
  const clusterName = cfg.str(ctx, 'cluster', `context "${name}"`);
  if (!clusterName) cfg.fail(`context "${name}" names no cluster`);
  const userName = cfg.str(ctx, 'user', `context "${name}"`);
  const cluster = cfg.entry(doc, 'clusters', 'cluster', clusterName);
  const user = userName ? cfg.entry(doc, 'users', 'user', userName) : {};
  return {
    ...(await readCluster(cfg, cluster, clusterName)),
    ...(await readUser(cfg, user, userName)),
  };
}

async function readCluster(cfg: Reader, c: Mapping, name: string): Promise<KubeTarget> {
  const where = `cluster "${name}"`;
  const server = cfg.str(c, 'server', where);
  if (!server) cfg.fail(`${where}: server is missing`);
  const skip = c['insecure-skip-tls-verify'] ?? false;
  if (typeof skip !== 'boolean')
    cfg.fail(`${where}: insecure-skip-tls-verify must be true or false`);
  const ca = await cfg.material(c, 'certificate-authority', where);
  // client-go validation: "specifying a root certificates file with the insecure flag is not allowed".
  if (skip && ca)
    cfg.fail(`${where}: certificate-authority and insecure-skip-tls-verify are mutually exclusive`);
  const tlsServerName = cfg.str(c, 'tls-server-name', where);
  const proxyUrl = readProxyUrl(cfg, c, where);
  return { server, insecureSkipTlsVerify: skip, ...defined({ ca, tlsServerName, proxyUrl }) };
}

/** `proxy-url`: client-go takes http, https and socks5 proxies; socks5 is not implemented here. */
function readProxyUrl(cfg: Reader, c: Mapping, where: string): string | undefined {
  const value = cfg.str(c, 'proxy-url', where);
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    cfg.fail(`${where}: proxy-url is not a URL`);
  }
  if (url.protocol === 'socks5:')
    cfg.fail(`${where}: proxy-url: socks5 proxies are not supported; use an http or https proxy`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    cfg.fail(`${where}: proxy-url must be an http or https URL`);
  return value;
}

async function readUser(cfg: Reader, u: Mapping, name: string): Promise<Partial<KubeTarget>> {
  const where = `user "${name}"`;
  cfg.rejectUnsupported(u, where, UNSUPPORTED_USER);
  const cert = await cfg.material(u, 'client-certificate', where);
  const key = await cfg.material(u, 'client-key', where);
  if (cert && !key) cfg.fail(`${where}: client-certificate is set without client-key`);
  if (key && !cert) cfg.fail(`${where}: client-key is set without client-certificate`);
  const tokenFile = cfg.str(u, 'tokenFile', where);
  const token = tokenFile
    ? (await cfg.read(tokenFile, `${where} tokenFile ${tokenFile}`)).toString('utf8').trim()
    : cfg.str(u, 'token', where);
  return defined({ cert, key, token });
}

/** The same object without its empty or undefined fields. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined && v !== ''),
  ) as Partial<T>;
}
