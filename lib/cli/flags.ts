/**
 * The command line of `upgrade-aware-proxy` parsed into {@link CliOptions}: the flags of
 * `flag-table.ts`, read as pflag reads them (`pflag-args.ts`), then each value checked and
 * converted, the defaults applied and kubectl proxy's rules between flags enforced (docs/cli.md,
 * "Flags").
 */
import { availableParallelism } from 'node:os';
import { DEFAULTS } from './cli-options.js';
import type { CliOptions } from './cli-options.js';
import { parseDuration } from './durations.js';
import { FlagError, invalidValue } from './flag-error.js';
import { FLAGS, flagName } from './flag-table.js';
import { parseRegexpList } from './filter.js';
import { readFlagArgs } from './pflag-args.js';

function integer(value: string, flag: string, max: number, rule: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n <= max)) throw invalidValue(value, flag, rule);
  return n;
}

/** The most workers `--workers` accepts: a typo (`--workers 1000000`) must not fork-bomb the machine. */
export const MAX_WORKERS = 1024;

/** `--workers N` (1 to MAX_WORKERS), or `auto`: one per CPU this process may use. */
function workerCount(value: string): number {
  if (value === 'auto') return availableParallelism();
  const rule = `must be auto or an integer from 1 to ${MAX_WORKERS}`;
  const n = integer(value, 'workers', MAX_WORKERS, rule);
  if (n === 0) throw invalidValue(value, 'workers', rule);
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
      throw invalidValue(
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
  const { values, booleans } = readFlagArgs(argv);
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
    throw invalidValue(
      options.metrics,
      'metrics',
      'must be a path starting with /, without a query',
    );
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
