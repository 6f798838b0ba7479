/**
 * Reads the backend and its credentials from a kubeconfig file, as `kubectl proxy` does
 * (client-go `tools/clientcmd`): one context, its cluster and its user.
 *
 * Precedence follows client-go: inline `*-data` wins over the file it replaces, `tokenFile` wins over
 * `token` (client-go re-reads the file and prefers it), and relative paths are relative to the
 * kubeconfig's own directory (clientcmd `ResolvePaths`). The YAML is read as YAML 1.1, like Go's
 * yaml.v2 underneath sigs.k8s.io/yaml, so `insecure-skip-tls-verify: yes` means true there too.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

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

/** A kubeconfig that cannot be used; the one-line message names the file and the item at fault. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
  /** The kubeconfig file, as given. */
  readonly file: string;

  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(`kubeconfig ${file}: ${detail}`, options);
    this.file = file;
  }
}

type Mapping = Record<string, unknown>;

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
  return { ...(await cfg.cluster(cluster, clusterName)), ...(await cfg.user(user, userName)) };
}

/** The reading of one kubeconfig file: every failure is a KubeconfigError naming that file. */
class Reader {
  private readonly dir: string;

  constructor(private readonly file: string) {
    this.dir = dirname(resolve(file));
  }

  fail(detail: string, cause?: unknown): never {
    throw new KubeconfigError(this.file, detail, cause === undefined ? undefined : { cause });
  }

  /** Reads a file; a relative path is relative to the kubeconfig's directory. */
  async read(path: string, what: string): Promise<Buffer> {
    try {
      return await readFile(resolve(this.dir, path));
    } catch (err) {
      this.fail(`cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
    }
  }

  parse(text: Buffer): Mapping {
    let doc: unknown;
    try {
      doc = parse(text.toString('utf8'), { version: '1.1' });
    } catch (err) {
      this.fail(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, err);
    }
    if (doc == null) this.fail('the file is empty');
    if (!isMapping(doc)) this.fail('invalid YAML: the top level is not a mapping');
    return doc;
  }

  /** An optional string field; empty when absent. */
  str(map: Mapping, key: string, where: string): string {
    const value = map[key];
    if (value == null) return '';
    if (typeof value !== 'string') this.fail(`${where}: ${key} must be a string`);
    return value;
  }

  /** The body of the named entry of a list such as `contexts`, whose items are `{ name, context }`. */
  entry(doc: Mapping, list: string, field: string, name: string): Mapping {
    const items = doc[list] ?? [];
    if (!Array.isArray(items)) this.fail(`${list} must be a list`);
    const found = items.filter((item) => isMapping(item) && item.name === name);
    if (found.length === 0) this.fail(`${field} "${name}" not found`);
    if (found.length > 1) this.fail(`${field} "${name}" is defined more than once`);
    const body = (found[0] as Mapping)[field] ?? {};
    if (!isMapping(body)) this.fail(`${field} "${name}": ${field} must be a mapping`);
    return body;
  }

  async cluster(c: Mapping, name: string): Promise<KubeTarget> {
    const where = `cluster "${name}"`;
    const server = this.str(c, 'server', where);
    if (!server) this.fail(`${where}: server is missing`);
    const skip = c['insecure-skip-tls-verify'] ?? false;
    if (typeof skip !== 'boolean')
      this.fail(`${where}: insecure-skip-tls-verify must be true or false`);
    const ca = await this.material(c, 'certificate-authority', where);
    // client-go validation: "specifying a root certificates file with the insecure flag is not allowed".
    if (skip && ca)
      this.fail(
        `${where}: certificate-authority and insecure-skip-tls-verify are mutually exclusive`,
      );
    const tlsServerName = this.str(c, 'tls-server-name', where);
    const proxyUrl = this.proxyUrl(c, where);
    return { server, insecureSkipTlsVerify: skip, ...defined({ ca, tlsServerName, proxyUrl }) };
  }

  /** `proxy-url`: client-go takes http, https and socks5 proxies; socks5 is not implemented here. */
  private proxyUrl(c: Mapping, where: string): string | undefined {
    const value = this.str(c, 'proxy-url', where);
    if (!value) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.fail(`${where}: proxy-url is not a URL`);
    }
    if (url.protocol === 'socks5:')
      this.fail(
        `${where}: proxy-url: socks5 proxies are not supported; use an http or https proxy`,
      );
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      this.fail(`${where}: proxy-url must be an http or https URL`);
    return value;
  }

  async user(u: Mapping, name: string): Promise<Partial<KubeTarget>> {
    const where = `user "${name}"`;
    this.rejectUnsupported(u, where, UNSUPPORTED_USER);
    const cert = await this.material(u, 'client-certificate', where);
    const key = await this.material(u, 'client-key', where);
    if (cert && !key) this.fail(`${where}: client-certificate is set without client-key`);
    if (key && !cert) this.fail(`${where}: client-key is set without client-certificate`);
    const tokenFile = this.str(u, 'tokenFile', where);
    const token = tokenFile
      ? (await this.read(tokenFile, `${where} tokenFile ${tokenFile}`)).toString('utf8').trim()
      : this.str(u, 'token', where);
    return defined({ cert, key, token });
  }

  /** `<base>-data` (base64) if set, else the file named by `<base>`; undefined when neither is. */
  private async material(map: Mapping, base: string, where: string): Promise<Buffer | undefined> {
    const data = this.str(map, `${base}-data`, where).replace(/\s+/g, '');
    if (data) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 === 1) {
        this.fail(`${where}: ${base}-data is not valid base64`);
      }
      return Buffer.from(data, 'base64');
    }
    const file = this.str(map, base, where);
    return file ? this.read(file, `${where} ${base} ${file}`) : undefined;
  }

  private rejectUnsupported(
    map: Mapping,
    where: string,
    list: ReadonlyArray<[string, string]>,
  ): void {
    for (const [key, message] of list) {
      const value = map[key];
      if (value != null && value !== '') this.fail(`${where}: ${message}`);
    }
  }
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The same object without its empty or undefined fields. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined && v !== ''),
  ) as Partial<T>;
}
