// Runs a built script of the project (`node dist/...`) as a child process, as `npx` or `npm start`
// would, collecting what it writes, with a hang guard for the waits. Cleanup is the caller's:
// `kill()` on each child (the CLI helpers do it after each test, the demo tests when they are done).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project's root, where `npm start` and `npx` run. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** Hang guard for a child to start or to exit: a stuck test fails instead of waiting forever. */
const DEADLINE = 20_000;

/** How a child process ended, with everything it wrote. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A started child process and what it wrote so far. */
export interface ChildRun {
  child: ChildProcess;
  /** Resolves when the child has exited and closed its output (rejects if it could not start). */
  exited: Promise<Exit>;
  /** What the child wrote so far, and its exit code or signal once it has one. */
  output(): Exit;
  /** Kills the child (SIGKILL) if it still runs and waits for it to exit. */
  kill(): Promise<void>;
}

/** Fails with `what()` when `promise` has not settled within `ms`. */
export function guard<T>(promise: Promise<T>, what: () => string, ms = DEADLINE): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what())), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The next IPC message from `child`; fails if it exits first, or hangs past `ms`. */
export function nextMessage<T>(child: ChildProcess, ms = 60_000): Promise<T> {
  const received = new Promise<T>((resolve, reject) => {
    const onMessage = (data: unknown): void => {
      child.removeListener('exit', onExit);
      resolve(data as T);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      child.removeListener('message', onMessage);
      reject(new Error(`the proxy exited (${code ?? signal})`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
  return guard(received, () => 'the proxy did not answer', ms);
}

/**
 * Starts `node script ...args` in the project root and collects what it writes; fails at once when
 * `script` has not been built.
 */
export function spawnNode(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildRun {
  if (!existsSync(script))
    throw new Error(`${script} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (out.stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, ...out }));
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited.catch(() => undefined);
  };
  return {
    child,
    exited,
    output: () => ({ code: child.exitCode, signal: child.signalCode, ...out }),
    kill,
  };
}

/** Resolves when `read()` passes `test` after a `data` event of `stream` (or at once). */
export function whenWritten(
  stream: NodeJS.ReadableStream,
  read: () => string,
  test: (text: string) => boolean,
): Promise<string> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!test(read())) return;
      stream.removeListener('data', check);
      resolve(read());
    };
    stream.on('data', check);
    check();
  });
}

/**
 * Resolves with the child's stdout once `test` holds for it (hang-guarded); fails with
 * `messages.exited(exit)` if the child exits first, or with `messages.hung()` at the deadline.
 */
export function untilStdout(
  run: ChildRun,
  test: (stdout: string) => boolean,
  messages: { exited: (exit: Exit) => string; hung: () => string },
): Promise<string> {
  const written = whenWritten(run.child.stdout!, () => run.output().stdout, test);
  const early = run.exited.then((exit) => {
    throw new Error(messages.exited(exit));
  });
  // Once written, the later exit must not surface as an unhandled rejection.
  early.catch(() => {});
  return guard(Promise.race([written, early]), messages.hung);
}

/** Kills `child` (SIGKILL) if it still runs, and resolves once it has exited. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

/**
 * The source of a child process (CommonJS, run with `--expose-gc`) that serves `server`, made by
 * `setup`, on 127.0.0.1 and reports its memory: `{ port, base }` once listening, then, for every
 * message it is sent, `{ peak }`. Memory is sampled every 50 ms right after a full collection, so
 * that what counts is live memory, not garbage not yet collected.
 * @param setup CommonJS statements that declare `const server` (an http.Server not yet listening).
 */
export function memoryReportingChild(setup: string): string {
  return `'use strict';
${setup}
const peak = { heapUsed: 0, rss: 0 };
function sample() {
  global.gc();
  const now = process.memoryUsage();
  peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
  peak.rss = Math.max(peak.rss, now.rss);
}
setInterval(sample, 50);
process.on('message', () => { sample(); process.send({ peak }); });
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => {
  global.gc();
  sample();
  process.send({ port: server.address().port, base: process.memoryUsage() });
});
`;
}
