/**
 * The backend's credentials and TLS settings, flags over kubeconfig, and the rule client-go applies
 * to them: credentials go only over TLS. clientcmd reads a kubeconfig user's token, token file and
 * client certificate only when the server's scheme is `https` (`isConfigTransportTLS`, "only try to
 * read the auth information if we are secure"), so kubectl proxy sends none of them to an `http://`
 * server, silently. We do the same and say so (docs/cli.md, "The backend").
 */
import { readFile } from 'node:fs/promises';
import type https from 'node:https';
import type { CliOptions } from './cli-options.js';
import { FlagError, invalidValue } from './flag-error.js';
import type { KubeTarget } from './kubeconfig.js';

/**
 * Reads a file named by a flag.
 *
 * @throws {FlagError} naming the flag when the file cannot be read.
 */
export async function readFlagFile(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw invalidValue(path, flag, `cannot read the file (${code})`);
  }
}

/** The bearer token: `--token`, the `--token-file`, else the kubeconfig's. */
export async function tokenOf(
  options: CliOptions,
  kube: KubeTarget | undefined,
): Promise<string | undefined> {
  if (options.token) return options.token;
  if (options.tokenFile) {
    const token = (await readFlagFile(options.tokenFile, 'token-file')).toString('utf8').trim();
    if (!token) throw invalidValue(options.tokenFile, 'token-file', 'the file is empty');
    return token;
  }
  return kube?.token || undefined;
}

/** TLS settings for an https backend, flags over kubeconfig. */
export async function tlsOf(
  options: CliOptions,
  kube: KubeTarget | undefined,
): Promise<https.AgentOptions> {
  if (options.insecureSkipTlsVerify && options.certificateAuthority) {
    throw new FlagError(
      'cannot set --insecure-skip-tls-verify together with --certificate-authority',
    );
  }
  // As client-go's overrides: either verification flag replaces the kubeconfig's choice of both.
  const fromKube = !options.insecureSkipTlsVerify && !options.certificateAuthority;
  const ca = options.certificateAuthority
    ? await readFlagFile(options.certificateAuthority, 'certificate-authority')
    : fromKube
      ? kube?.ca
      : undefined;
  const insecure =
    options.insecureSkipTlsVerify || (fromKube && (kube?.insecureSkipTlsVerify ?? false));
  const cert = options.clientCertificate
    ? await readFlagFile(options.clientCertificate, 'client-certificate')
    : kube?.cert;
  const key = options.clientKey ? await readFlagFile(options.clientKey, 'client-key') : kube?.key;
  if (Boolean(cert) !== Boolean(key)) {
    throw new FlagError('--client-certificate and --client-key must be given together');
  }
  // client-go drops the kubeconfig's tls-server-name when the server is given on the command line.
  const servername =
    options.tlsServerName || (options.target === undefined ? kube?.tlsServerName : undefined);
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
export function refuseTlsFlags(options: CliOptions): void {
  for (const [key, flag] of Object.entries(TLS_FLAGS)) {
    if (options[key as keyof typeof TLS_FLAGS])
      throw new FlagError(`--${flag} needs an https backend`);
  }
}

/**
 * The credentials configured for a backend without TLS that are therefore not sent, as a person
 * reads them (`['token', 'client certificate']`). A unix socket never leaves the machine, so its
 * token is sent; a client certificate has no TLS handshake to go in.
 *
 * @example withheldCredentials('t', undefined, false) // ['token']
 */
export function withheldCredentials(
  token: string | undefined,
  kube: KubeTarget | undefined,
  unixSocket: boolean,
): string[] {
  const withheld: string[] = [];
  if (token !== undefined && !unixSocket) withheld.push('token');
  if (kube?.cert) withheld.push('client certificate');
  return withheld;
}
