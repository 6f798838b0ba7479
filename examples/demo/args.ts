/* The demo's command line: `--port N` (or `--port=N`), and `--help`. */

/** The first port the demo tries when no `--port` is given, as `kubectl proxy` does. */
export const DEFAULT_PORT = 8001;

/** How many ports from DEFAULT_PORT on the demo tries before giving up. */
export const PORT_ATTEMPTS = 20;

/** The one line printed for `--help` and after an unknown argument. */
export const USAGE =
  'usage: node dist/examples/demo/demo.js [--port N]  (N from 0 to 65535, 0 picks a free port; default 8001, or the next free port)';

/** What the command line asks for: a fixed port, the default port or the next free one, or the usage text. */
export type DemoArgs = { help: true } | { help: false; port: number | undefined };

/** A command line the demo does not understand; the message is one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The port in `value`, a decimal integer from 0 to 65535. */
function parsePort(value: string | undefined): number {
  if (value === undefined || value === '')
    throw new UsageError('--port needs a value: a port number from 0 to 65535');
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port <= 65535))
    throw new UsageError(
      `--port must be a port number from 0 to 65535, not ${JSON.stringify(value)}`,
    );
  return port;
}

/**
 * Reads the demo's arguments (`process.argv.slice(2)`).
 *
 * @throws {UsageError} on an unknown argument or a bad port.
 * @example
 * parseDemoArgs(['--port', '0']); // { help: false, port: 0 }
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  let port: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--port') port = parsePort(argv[++i]);
    else if (arg.startsWith('--port=')) port = parsePort(arg.slice('--port='.length));
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`);
  }
  return { help: false, port };
}
