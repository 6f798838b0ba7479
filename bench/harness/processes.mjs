// Parent side of the bench processes: finding tools on PATH, pinning to a CPU, starting servers
// (see serve.mjs) and load clients, and asking them questions over IPC.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when an executable called `name` is on PATH. */
export function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether processes are pinned to CPUs (Linux with `taskset`). */
export const pinning = process.platform === 'linux' && onPath('taskset');

/** `[command, args]` that run `command` on `cpu` when pinning, else unchanged. */
export function pinned(cpu, command, args) {
  return pinning ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

/** Moves this process, all its threads, to `cpu` (when pinning), so the orchestrator never runs beside the proxy. */
export function pinSelf(cpu) {
  if (pinning)
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], {
      stdio: 'ignore',
    });
}

/** The version `v<x.y.z>` of the `node` binary at `execPath`. */
export function nodeVersion(execPath) {
  if (execPath === process.execPath) return process.version;
  return execFileSync(execPath, ['--version'], { encoding: 'utf8' }).trim();
}

/** An error meaning "this contender cannot run here", with the reason it gave. */
export class Unavailable extends Error {}

/** Resolves with the next IPC message of `child` that has the key `key`; rejects if the child exits first. */
export function nextMessage(child, key) {
  return new Promise((resolve, reject) => {
    const done = () => child.off('message', onMessage).off('exit', onExit);
    const onMessage = (message) => {
      if (message?.error) {
        done();
        reject(new Error(message.error));
      } else if (message && key in message) {
        done();
        resolve(message[key]);
      }
    };
    const onExit = (code, signal) => {
      done();
      reject(new Error(`child process exited (${signal ?? `code ${code}`})`));
    };
    child.on('message', onMessage).on('exit', onExit);
  });
}

/** Sends `question` to a server started here and resolves with its answer (see serve.mjs). */
export function ask(child, question) {
  const answer = nextMessage(child, question);
  child.send(question);
  return answer;
}

/** The last line of `text` that reads like a thrown error, else its last non-empty line. */
function reason(text) {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.findLast((line) => /^\w*Error\b/.test(line)) ?? lines.at(-1) ?? 'no output';
}

/**
 * Spawns `node [...nodeArgs] file ...args` on `cpu` with IPC, `node` being the binary at `execPath`
 * (by default this process's own); stderr is passed on and its tail kept.
 */
function spawnNode(file, args, cpu, nodeArgs = [], execPath = process.execPath) {
  const [command, argv] = pinned(cpu, execPath, [...nodeArgs, file, ...args]);
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let tail = '';
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    tail = (tail + chunk).slice(-4096);
  });
  return { child, stderrTail: () => tail };
}

/**
 * Starts the server `node [...nodeArgs] <file> ...args` on `cpu` (`execPath`: another `node`
 * binary) and resolves with `{ url, child, cpuTime(), majorGcs(), pageFaults(), memory(), stats() }` once it has sent its
 * URL. Rejects with `Unavailable` if the server reports it cannot run, or exits before listening
 * (with its error line).
 */
export async function startServer(file, args, cpu, { nodeArgs, execPath } = {}) {
  const { child, stderrTail } = spawnNode(file, args, cpu, nodeArgs, execPath);
  const first = new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code, signal) => {
      reject(
        new Unavailable(
          `exited (${signal ?? `code ${code}`}) before listening: ${reason(stderrTail())}`,
        ),
      );
    });
  });
  try {
    const message = await first;
    if (message.unavailable) throw new Unavailable(message.unavailable);
    if (!message.url) throw new Unavailable(`sent ${JSON.stringify(message)} instead of its URL`);
    return {
      url: message.url,
      child,
      cpuTime: async () => {
        const cpu = await ask(child, 'cpu');
        return cpu.user + cpu.system;
      },
      majorGcs: async () => (await ask(child, 'gc')).major,
      pageFaults: () => ask(child, 'faults'),
      memory: () => ask(child, 'memory'),
      stats: () => ask(child, 'stats'),
    };
  } catch (err) {
    child.kill();
    throw err;
  }
}

/**
 * Starts the load client `node <file> ...args` on `cpu`, with IPC. Resolves with `{ child, next(key),
 * send(message), exited }`: `next` waits for the child's next message carrying `key`.
 */
export function startClient(file, args, cpu) {
  const { child } = spawnNode(file, args, cpu);
  const exited = once(child, 'exit');
  return {
    child,
    exited,
    next: (key) => nextMessage(child, key),
    send: (message) => child.send(message),
  };
}
