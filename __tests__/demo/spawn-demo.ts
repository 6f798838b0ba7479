// Runs the built demo (`node dist/examples/demo/demo.js`) as a child process, as `npm start` does, and
// reads its banner. `npm test` builds before jest runs; run `npm run build && npm run build:examples` first when running
// these files alone.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT, guard, spawnNode, untilStdout } from '../helpers/child.js';
import type { ChildRun, Exit } from '../helpers/child.js';

export { ROOT };
export type { Exit };

/** The built demo. */
export const DEMO = path.join(ROOT, 'dist', 'examples', 'demo', 'demo.js');

/** The banner's last line: once it is read, the whole banner is. */
const BANNER_END = 'Ctrl-C stops the demo.\n';

/** A demo that printed its banner. */
export interface RunningDemo {
  child: ChildProcess;
  /** The proxy's port, read from the first line. */
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Everything the demo printed on start. */
  banner: string;
  /** Resolves when the demo exits. */
  exited: Promise<Exit>;
  /** Kills the demo if it still runs and waits for it to exit. */
  kill(): Promise<void>;
}

/** Starts `node dist/examples/demo/demo.js ...args` in the project root and collects what it writes. */
export function startDemo(args: readonly string[]): ChildRun {
  return spawnNode(DEMO, args);
}

/** Waits for `demo` to exit (hang-guarded). */
export function waitForExit(exited: Promise<Exit>): Promise<Exit> {
  return guard(exited, () => 'the demo did not exit');
}

/** Runs the demo with `args` to its end; a demo that hangs is killed when the guard fails the test. */
export async function exitOf(args: readonly string[]): Promise<Exit> {
  const run = startDemo(args);
  try {
    return await waitForExit(run.exited);
  } finally {
    await run.kill();
  }
}

/** Starts the demo with `args` and waits for its whole banner; fails with its output if it exits or hangs first. */
export async function runDemo(args: readonly string[] = ['--port', '0']): Promise<RunningDemo> {
  const run = startDemo(args);
  const { child, exited, output, kill } = run;
  try {
    const banner = await untilStdout(run, (text) => text.includes(BANNER_END), {
      exited: (exit) =>
        `the demo exited (${exit.code ?? exit.signal}) before its banner: ${exit.stderr}`,
      hung: () => `no banner from the demo; it wrote ${JSON.stringify(output())}`,
    });
    const match = /^Starting to serve on 127\.0\.0\.1:(\d+)\n/.exec(banner);
    if (!match)
      throw new Error(
        `the banner's first line is not "Starting to serve on 127.0.0.1:PORT": ${JSON.stringify(banner)}`,
      );
    const port = Number(match[1]);
    return { child, port, url: `http://127.0.0.1:${port}`, banner, exited, kill };
  } catch (err) {
    await kill();
    throw err;
  }
}
