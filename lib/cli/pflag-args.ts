/**
 * The command line read as kubectl proxy's pflag reads it, values still text. Reading is
 * `node:util` `parseArgs` in strict mode, after one pflag-compatible rewrite: a flag's value may be
 * the next argument even when it starts with `-` (`-p -1`, as pflag takes it), and a boolean may be
 * written `--quiet=false` (pflag's `strconv.ParseBool` spellings).
 */
import { parseArgs } from 'node:util';
import { FlagError, invalidValue } from './flag-error.js';
import { FLAGS, flagName } from './flag-table.js';
import type { FlagSpec } from './flag-table.js';

/** What the command line gave the flags it names. */
export interface FlagArgs {
  /** Each named flag's text (or `true` for a boolean), keyed by flag name (kebab-case). */
  values: Record<string, string | boolean | undefined>;
  /** Each boolean given, keyed by option: pflag's last occurrence, `--quiet=false` included. */
  booleans: Map<string, boolean>;
}

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
        throw invalidValue(value, flagName(spec.key), 'must be true or false');
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

/**
 * Reads which flag the command line gives which value, checking only the syntax: unknown flags,
 * stray arguments, a missing value, and booleans that are not true or false.
 *
 * @param argv The arguments after the program name.
 * @throws {FlagError} One line naming the flag.
 * @example readFlagArgs(['-p', '-1']).values.port // '-1'
 */
export function readFlagArgs(argv: readonly string[]): FlagArgs {
  const { args, booleans } = normalise(argv);
  try {
    const { values } = parseArgs({
      args,
      options: PARSE_OPTIONS,
      strict: true,
      allowPositionals: false,
    });
    return { values, booleans };
  } catch (err) {
    throw translate(err);
  }
}
