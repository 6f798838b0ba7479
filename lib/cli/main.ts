#!/usr/bin/env node
/**
 * `upgrade-aware-proxy`: what `kubectl proxy` is to Kubernetes, for any backend. A local server in
 * front of one backend, with kubectl proxy's flags and request filter. See docs/cli.md.
 *
 * Exit status: 0 after SIGINT or SIGTERM, 2 for a bad flag, value or kubeconfig (one line on
 * stderr naming it), 1 when the server cannot start.
 */
import { stat } from 'node:fs/promises';
import { createAccessLog } from './access-log.js';
import { resolveBackend } from './backend.js';
import type { Backend } from './backend.js';
import { FlagError, helpText, parseFlags } from './flags.js';
import type { CliOptions } from './flags.js';
import { KubeconfigError } from './kubeconfig.js';
import { listenTcp, listenUnix } from './listen.js';
import { createCliServer } from './server.js';
import type { CliServer } from './server.js';

const FILTER_DISABLED =
  'Request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious';
const FILTER_RELAXED =
  'Request filter has been relaxed, your proxy may be vulnerable to attacks, please be cautious';

/** How long busy connections get to finish after SIGINT or SIGTERM, and when the process gives up waiting. */
const GRACE_MS = 3000;
const EXIT_DEADLINE_MS = 5000;

const say = (line: string): boolean => process.stdout.write(`${line}\n`);
const warn = (line: string): boolean => process.stderr.write(`warning: ${line}\n`);

/** kubectl's warnings about a weakened filter and an unused server path, and ours about credentials not sent. */
function warnings(options: CliOptions, backend: Backend): string[] {
  const out: string[] = [];
  if (options.disableFilter) {
    if (!options.unixSocket) out.push(FILTER_DISABLED);
  } else if (options.rejectPaths === '' || options.rejectMethods === '') {
    out.push(FILTER_RELAXED);
  }
  if (!options.appendServerPath && backend.serverPath !== '/') {
    out.push(
      `the backend has a server path ${backend.serverPath}, use --append-server-path to automatically append the path to each request`,
    );
  }
  // kubectl skips these silently; a token that quietly goes nowhere is worth one line.
  if (backend.withheld.length > 0) {
    out.push(
      `not sending the ${backend.withheld.join(' or the ')} to ${backend.display}: credentials go only over https, as in kubectl`,
    );
  }
  return out;
}

async function checkWww(options: CliOptions): Promise<void> {
  if (!options.www) return;
  const info = await stat(options.www).catch(() => undefined);
  if (!info?.isDirectory())
    throw new FlagError(`invalid value ${JSON.stringify(options.www)} for --www: not a directory`);
}

/** Stops on SIGINT or SIGTERM: no new connections, tunnels ended, exit 0; a second signal exits at once. */
function stopOnSignals(cli: CliServer): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(0);
    stopping = true;
    process.exitCode = 0;
    setTimeout(() => process.exit(0), EXIT_DEADLINE_MS).unref();
    void cli.close(GRACE_MS);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseFlags(argv);
  if (options.help) {
    process.stdout.write(helpText());
    return;
  }
  await checkWww(options);
  const backend = await resolveBackend(options);
  warnings(options, backend).forEach(warn);
  const access = options.quiet ? undefined : createAccessLog((line) => process.stderr.write(line));
  const cli = createCliServer(options, backend, {
    access,
    error: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    const address = options.unixSocket
      ? await listenUnix(cli.server, options.unixSocket)
      : await listenTcp(cli.server, options.port, options.address);
    stopOnSignals(cli);
    say(`Starting to serve on ${address}`);
  } catch (err) {
    backend.agent.destroy();
    throw err;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage = err instanceof FlagError || err instanceof KubeconfigError;
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = usage ? 2 : 1;
});
