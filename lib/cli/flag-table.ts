/**
 * Every flag of the command line: kubectl proxy's (kubectl `pkg/cmd/proxy/proxy.go`), same names,
 * short forms and usage text, plus ours for the backend, TLS, token and kubeconfig (docs/cli.md,
 * "Flags" and "The backend"). The parser and the help text are both built from this one table.
 */
import type { CliOptions } from './cli-options.js';

/** One flag: the option it sets, whether it takes a value, its short form and its help line. */
export interface FlagSpec {
  key: keyof CliOptions;
  type: 'string' | 'boolean';
  short?: string;
  usage: string;
}

/**
 * The flag's name on the command line: its option's key in kebab-case.
 *
 * @example flagName('maxBytesPerSec') // 'max-bytes-per-sec'
 */
export const flagName = (key: string): string =>
  key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Flags in help order (alphabetical, as cobra prints them); the flag name is `key` in kebab-case. */
export const FLAGS: readonly FlagSpec[] = [
  {
    key: 'acceptHosts',
    type: 'string',
    usage: 'Regular expression for hosts that the proxy should accept.',
  },
  {
    key: 'acceptPaths',
    type: 'string',
    usage: 'Regular expression for paths that the proxy should accept.',
  },
  { key: 'address', type: 'string', usage: 'The IP address on which to serve on.' },
  { key: 'apiPrefix', type: 'string', usage: 'Prefix to serve the proxied API under.' },
  {
    key: 'appendServerPath',
    type: 'boolean',
    usage:
      'If true, enables automatic path appending of the kube context server path to each request.',
  },
  {
    key: 'certificateAuthority',
    type: 'string',
    usage: 'Path to a cert file for the certificate authority of the backend.',
  },
  {
    key: 'clientCertificate',
    type: 'string',
    usage: 'Path to a client certificate file for TLS to the backend.',
  },
  { key: 'clientKey', type: 'string', usage: 'Path to a client key file for TLS to the backend.' },
  { key: 'context', type: 'string', usage: 'The name of the kubeconfig context to use.' },
  {
    key: 'disableFilter',
    type: 'boolean',
    usage:
      'If true, disable request filtering in the proxy. This is dangerous, and can leave you vulnerable to XSRF attacks, when used with an accessible port.',
  },
  { key: 'help', type: 'boolean', short: 'h', usage: 'Print this help and exit.' },
  {
    key: 'insecureSkipTlsVerify',
    type: 'boolean',
    usage: "If true, the backend's certificate will not be checked for validity.",
  },
  {
    key: 'keepalive',
    type: 'string',
    usage:
      'Keep-alive period for connections to the backend, as a duration (30s, 1m, 500ms). 0 leaves the system default.',
  },
  {
    key: 'kubeconfig',
    type: 'string',
    usage:
      'Path to the kubeconfig file to take the server, CA, client certificate and key, and token from.',
  },
  {
    key: 'maxBytesPerSec',
    type: 'string',
    usage: 'Limit on bytes per second in each direction of each connection. 0 means no limit.',
  },
  {
    key: 'metrics',
    type: 'string',
    usage:
      'Serve Prometheus metrics on this path (for example /metrics), answered before the API prefix and the filter.',
  },
  {
    key: 'port',
    type: 'string',
    short: 'p',
    usage: 'The port on which to run the proxy. Set to 0 to pick a random port.',
  },
  {
    key: 'quiet',
    type: 'boolean',
    usage: 'If true, do not log one line per request and per tunnel on stderr.',
  },
  {
    key: 'rejectMethods',
    type: 'string',
    usage:
      "Regular expression for HTTP methods that the proxy should reject (example --reject-methods='POST,PUT,PATCH').",
  },
  {
    key: 'rejectPaths',
    type: 'string',
    usage:
      'Regular expression for paths that the proxy should reject. Paths specified here will be rejected even accepted by --accept-paths.',
  },
  {
    key: 'target',
    type: 'string',
    usage:
      'The backend: an http:// or https:// URL, or a server on a unix socket: unix:/path/to.sock, or http+unix://%2Fpath%2Fto.sock/server/path.',
  },
  {
    key: 'tlsServerName',
    type: 'string',
    usage: 'Server name to use for backend certificate validation.',
  },
  {
    key: 'token',
    type: 'string',
    usage: 'Bearer token sent to the backend on plain and upgrade requests.',
  },
  { key: 'tokenFile', type: 'string', usage: 'Path to a file holding the bearer token.' },
  {
    key: 'workers',
    type: 'string',
    usage:
      'Number of worker processes sharing the listening socket, or auto for one per CPU. 1 runs no workers.',
  },
  {
    key: 'unixSocket',
    type: 'string',
    short: 'u',
    usage: 'Unix socket on which to run the proxy.',
  },
  {
    key: 'www',
    type: 'string',
    short: 'w',
    usage: 'Also serve static files from the given directory under the specified prefix.',
  },
  {
    key: 'wwwPrefix',
    type: 'string',
    short: 'P',
    usage: 'Prefix to serve static files under, if static file directory is specified.',
  },
];
