/**
 * The command line of `upgrade-aware-proxy`: kubectl proxy's flags (kubectl
 * `pkg/cmd/proxy/proxy.go`), same names, short forms and defaults, plus flags of our own for the
 * backend, TLS, token and kubeconfig (docs/cli.md, "Flags" and "The backend").
 *
 * Parsing is `node:util` `parseArgs` in strict mode, after one pflag-compatible rewrite: a flag's
 * value may be the next argument even when it starts with `-` (`-p -1`, as pflag takes it), and a
 * boolean may be written `--quiet=false` (pflag's `strconv.ParseBool` spellings).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import {
  DEFAULT_HOST_ACCEPT_RE,
  DEFAULT_METHOD_REJECT_RE,
  DEFAULT_PATH_ACCEPT_RE,
  DEFAULT_PATH_REJECT_RE,
  parseRegexpList,
} from './filter.js';

/** Everything the command line sets, with defaults applied and values validated. */
export interface CliOptions {
  port: number;
  address: string;
  unixSocket: string;
  apiPrefix: string;
  www: string;
  wwwPrefix: string;
  acceptPaths: string;
  rejectPaths: string;
  acceptHosts: string;
  rejectMethods: string;
  disableFilter: boolean;
  appendServerPath: boolean;
  /** Dial keep-alive period in milliseconds (rounded up); 0 leaves the system default. */
  keepalive: number;
  /** The backend; `undefined` when not given (the kubeconfig or the caller decides). */
  target: string | undefined;
  certificateAuthority: string;
  clientCertificate: string;
  clientKey: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName: string;
  token: string;
  tokenFile: string;
  kubeconfig: string;
  context: string;
  maxBytesPerSec: number;
  /** `--metrics PATH`: the path the metrics are served on; '' for none. */
  metrics: string;
  quiet: boolean;
  /** Worker processes sharing the listening socket; 1 is no cluster at all. */
  workers: number;
  help: boolean;
}

/** The value of every option when its flag is absent (kubectl proxy's, for the shared ones). */
export const DEFAULTS: Readonly<CliOptions> = Object.freeze({
  port: 8001,
  address: '127.0.0.1',
  unixSocket: '',
  apiPrefix: '/',
  www: '',
  wwwPrefix: '/static/',
  acceptPaths: DEFAULT_PATH_ACCEPT_RE,
  rejectPaths: DEFAULT_PATH_REJECT_RE,
  acceptHosts: DEFAULT_HOST_ACCEPT_RE,
  rejectMethods: DEFAULT_METHOD_REJECT_RE,
  disableFilter: false,
  appendServerPath: false,
  keepalive: 0,
  target: undefined,
  certificateAuthority: '',
  clientCertificate: '',
  clientKey: '',
  insecureSkipTlsVerify: false,
  tlsServerName: '',
  token: '',
  tokenFile: '',
  kubeconfig: '',
  context: '',
  maxBytesPerSec: 0,
  metrics: '',
  quiet: false,
  workers: 1,
  help: false,
});

/** A bad flag or value; `message` is one line naming the flag, for `stderr` and exit status 2. */
export class FlagError extends Error {
  override name = 'FlagError';
}

interface FlagSpec {
  key: keyof CliOptions;
  type: 'string' | 'boolean';
  short?: string;
  usage: string;
}

/** Flags in help order (alphabetical, as cobra prints them); the flag name is `key` in kebab-case. */
const FLAGS: readonly FlagSpec[] = [
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

const flagName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const BY_NAME = new Map(FLAGS.map((f) => [flagName(f.key), f]));
const BY_SHORT = new Map(FLAGS.filter((f) => f.short).map((f) => [f.short as string, f]));
const PARSE_OPTIONS = Object.fromEntries(
  FLAGS.map((f) => [
    flagName(f.key),
    f.short ? { type: f.type, short: f.short } : { type: f.type },
  ]),
);
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

function invalid(value: string, flag: string, rule: string): FlagError {
  return new FlagError(`invalid value ${JSON.stringify(value)} for --${flag}: ${rule}`);
}

/** Finds the flag a `--name[=v]` or `-x[v]` argument names, if any. */
function specOf(arg: string): FlagSpec | undefined {
  if (arg.startsWith('--')) return BY_NAME.get(arg.slice(2).split('=')[0]);
  return arg.startsWith('-') ? BY_SHORT.get(arg[1]) : undefined;
}

/**
 * The pflag rewrite: `--flag value` becomes `--flag=value` so that a value starting with `-` is
 * kept, and `--bool=false` is taken out (the last occurrence of a boolean wins, as in pflag).
 */
function normalise(argv: readonly string[]): { args: string[]; booleans: Map<string, boolean> } {
  const args: string[] = [];
  const booleans = new Map<string, boolean>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--') return { args: args.concat(argv.slice(i)), booleans };
    const spec = specOf(arg);
    const exact =
      spec !== undefined && (arg === `--${flagName(spec.key)}` || arg === `-${spec.short}`);
    if (spec?.type === 'string' && exact && i + 1 < argv.length) {
      args.push(`--${flagName(spec.key)}=${argv[(i += 1)]}`);
    } else if (spec?.type === 'boolean' && arg.startsWith('--') && arg.includes('=')) {
      const value = arg.slice(arg.indexOf('=') + 1);
      if (!TRUE.has(value) && !FALSE.has(value))
        throw invalid(value, flagName(spec.key), 'must be true or false');
      booleans.set(spec.key, TRUE.has(value));
    } else {
      if (spec?.type === 'boolean' && exact) booleans.set(spec.key, true);
      args.push(arg);
    }
  }
  return { args, booleans };
}

/** Turns parseArgs' multi-line messages into one line naming the flag. */
function translate(err: unknown): Error {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new FlagError(`unknown flag ${quoted}`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new FlagError(`unexpected argument ${JSON.stringify(quoted)}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /--[a-z-]+/.exec(message)?.[0] ?? quoted;
    return new FlagError(
      /argument missing/.test(message)
        ? `flag needs an argument: ${flag}`
        : `flag ${flag} does not take a value`,
    );
  }
  return err instanceof Error ? err : new Error(message);
}

function integer(value: string, flag: string, max: number, rule: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n <= max)) throw invalid(value, flag, rule);
  return n;
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 36e5,
};

/**
 * Parses a Go duration (`time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `0`) into whole
 * milliseconds, rounded up so that a non-zero period stays non-zero. Negative periods are refused.
 *
 * @example parseDuration('1m30s', 'keepalive') // 90000
 */
export function parseDuration(value: string, flag: string): number {
  const rule = 'must be a non-negative duration such as 30s, 1m or 500ms';
  if (value === '0' || value === '+0') return 0;
  const body = value.startsWith('+') ? value.slice(1) : value;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(body); m; m = part.exec(body)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    end = part.lastIndex;
  }
  if (body === '' || end !== body.length) throw invalid(value, flag, rule);
  return Math.ceil(total);
}

/** The most workers `--workers` accepts: a typo (`--workers 1000000`) must not fork-bomb the machine. */
export const MAX_WORKERS = 1024;

/** `--workers N` (1 to MAX_WORKERS), or `auto`: one per CPU this process may use. */
function workerCount(value: string): number {
  if (value === 'auto') return availableParallelism();
  const rule = `must be auto or an integer from 1 to ${MAX_WORKERS}`;
  const n = integer(value, 'workers', MAX_WORKERS, rule);
  if (n === 0) throw invalid(value, 'workers', rule);
  return n;
}

function withSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function checkPatterns(options: CliOptions): void {
  for (const key of ['acceptPaths', 'rejectPaths', 'acceptHosts', 'rejectMethods'] as const) {
    try {
      parseRegexpList(options[key], flagName(key));
    } catch (err) {
      const reason = ((err as Error).cause as Error).message;
      throw invalid(
        options[key],
        flagName(key),
        `must be a comma-separated list of regular expressions: ${reason}`,
      );
    }
  }
}

/**
 * Parses the command line into validated {@link CliOptions}, kubectl proxy's way.
 *
 * @param argv The arguments after the program name (`process.argv.slice(2)`).
 * @throws {FlagError} On an unknown flag, a bad value, or flags that cannot go together.
 * @example parseFlags(['--target', 'http://127.0.0.1:8080', '-p', '0']).port // 0
 */
export function parseFlags(argv: readonly string[]): CliOptions {
  const { args, booleans } = normalise(argv);
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: PARSE_OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw translate(err);
  }
  const raw: Record<string, unknown> = {};
  for (const spec of FLAGS)
    raw[spec.key] = booleans.get(spec.key) ?? values[flagName(spec.key)] ?? DEFAULTS[spec.key];
  const options = { ...DEFAULTS, ...raw } as CliOptions;
  const text = (key: keyof CliOptions): string | undefined =>
    values[flagName(key)] as string | undefined;
  const port = text('port');
  if (port !== undefined)
    options.port = integer(port, 'port', 65535, 'must be an integer from 0 to 65535');
  const bytes = text('maxBytesPerSec');
  if (bytes !== undefined) {
    options.maxBytesPerSec = integer(
      bytes,
      'max-bytes-per-sec',
      Number.MAX_SAFE_INTEGER,
      'must be a non-negative integer',
    );
  }
  const workers = text('workers');
  if (workers !== undefined) options.workers = workerCount(workers);
  const keepalive = text('keepalive');
  if (keepalive !== undefined) options.keepalive = parseDuration(keepalive, 'keepalive');
  // Printable ASCII, as Node receives a request target; the query is not part of what is matched.
  // eslint-disable-next-line no-control-regex
  if (options.metrics !== '' && !/^\/[^\x00-\x20\x7f-\uffff?#]*$/.test(options.metrics))
    throw invalid(options.metrics, 'metrics', 'must be a path starting with /, without a query');
  options.apiPrefix = withSlash(options.apiPrefix);
  options.wwwPrefix = withSlash(options.wwwPrefix);
  checkPatterns(options);
  // kubectl's rule (`proxy.go`): the port counts as set when it differs from its default.
  if (options.unixSocket !== '' && options.port !== DEFAULTS.port) {
    throw new FlagError('cannot set --unix-socket and --port at the same time');
  }
  if (options.token !== '' && options.tokenFile !== '') {
    throw new FlagError('cannot set --token and --token-file at the same time');
  }
  return options;
}

function shown(value: CliOptions[keyof CliOptions]): string {
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

/**
 * The `--help` text: every flag with its short form and default, in kubectl's layout.
 *
 * @example process.stdout.write(helpText())
 */
export function helpText(): string {
  const lines = FLAGS.map((spec) => {
    const head = spec.short ? `-${spec.short}, ` : '';
    const value =
      spec.key === 'target'
        ? ''
        : spec.key === 'keepalive'
          ? '=0s'
          : `=${shown(DEFAULTS[spec.key])}`;
    return `    ${head}--${flagName(spec.key)}${value}:\n\t${spec.usage}\n`;
  });
  return [
    'Creates a proxy server or application-level gateway between localhost and one backend, as',
    'kubectl proxy does for the Kubernetes API server, WebSocket and other upgrades included.',
    '',
    'Examples:',
    "  # Proxy a local service on port 8001, with kubectl proxy's request filter",
    '  upgrade-aware-proxy --target http://127.0.0.1:8080',
    '',
    '  # Serve like kubectl proxy, from a kubeconfig',
    '  upgrade-aware-proxy --kubeconfig ~/.kube/config',
    '',
    'Options:',
    ...lines,
    'Usage:',
    '  upgrade-aware-proxy [--target=URL] [--port=8001] [--www=static-dir] [--www-prefix=prefix] [--api-prefix=prefix] [options]',
    '',
  ].join('\n');
}
