// Runs the built demo (`node dist/demo/demo.js`) as a child process, as `npm start` does, and
// reads its banner. `npm test` builds before jest runs; run `npm run build` first when running
// these files alone.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project's root, where `npm start` runs. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** The built demo. */
export const DEMO = path.join(ROOT, 'dist', 'demo', 'demo.js');

/** The banner's last line: once it is read, the whole banner is. */
const BANNER_END = 'Ctrl-C stops the demo.\n';

/** Hang guard for the demo to print its banner or to exit. */
const DEADLINE = 20_000;

/** How a child process ended, with everything it wrote. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

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

/** Fails with `what` when `promise` has not settled within the hang guard. */
function guard<T>(promise: Promise<T>, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what())), DEADLINE);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Starts `node dist/demo/demo.js ...args` in the project root and collects what it writes. */
export function startDemo(args: readonly string[]): { child: ChildProcess; exited: Promise<Exit>; output: () => Exit } {
  if (!existsSync(DEMO)) throw new Error(`${DEMO} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (out.stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, ...out }));
  });
  return { child, exited, output: () => ({ code: child.exitCode, signal: child.signalCode, ...out }) };
}

/** Waits for `demo` to exit (hang-guarded). */
export function waitForExit(exited: Promise<Exit>): Promise<Exit> {
  return guard(exited, () => 'the demo did not exit');
}

/** Starts the demo with `args` and waits for its whole banner; fails with its output if it exits or hangs first. */
export async function runDemo(args: readonly string[] = ['--port', '0']): Promise<RunningDemo> {
  const { child, exited, output } = startDemo(args);
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited.catch(() => undefined);
  };
  const printed = new Promise<string>((resolve, reject) => {
    const check = (): void => {
      if (output().stdout.includes(BANNER_END)) resolve(output().stdout);
    };
    child.stdout!.on('data', check);
    exited.then((exit) => reject(new Error(`the demo exited (${exit.code ?? exit.signal}) before its banner: ${exit.stderr}`)), reject);
  });
  try {
    const banner = await guard(printed, () => `no banner from the demo; it wrote ${JSON.stringify(output())}`);
    const match = /^Starting to serve on 127\.0\.0\.1:(\d+)\n/.exec(banner);
    if (!match) throw new Error(`the banner's first line is not "Starting to serve on 127.0.0.1:PORT": ${JSON.stringify(banner)}`);
    const port = Number(match[1]);
    return { child, port, url: `http://127.0.0.1:${port}`, banner, exited, kill };
  } catch (err) {
    await kill();
    throw err;
  }
}
