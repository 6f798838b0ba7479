/**
 * The command line's error: a flag, a flag's value or a pair of flags that cannot be used. `main.ts`
 * prints its message on stderr and exits with status 2, as cobra does for a flag error.
 */

/** A bad flag or value; `message` is one line naming the flag, for `stderr` and exit status 2. */
export class FlagError extends Error {
  override name = 'FlagError';
}

/**
 * The error for a value its flag refuses, in one form for every flag.
 *
 * @example invalidValue('x', 'port', 'must be an integer from 0 to 65535').message
 * // 'invalid value "x" for --port: must be an integer from 0 to 65535'
 */
export function invalidValue(value: string, flag: string, rule: string): FlagError {
  return new FlagError(`invalid value ${JSON.stringify(value)} for --${flag}: ${rule}`);
}
