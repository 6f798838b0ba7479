// Parent side of the bench processes: finding tools on PATH, pinning to a CPU, starting servers.
import { spawn } from 'node:child_process';
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

const taskset = process.platform === 'linux' && onPath('taskset');

/** Whether processes are pinned to CPUs (`taskset` found). */
export const pinning = taskset;

/** `[command, args]` that run `command` on `cpu` when `taskset` exists, else unchanged. */
export function pinned(cpu, command, args) {
  return taskset ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

/** Resolves with the CPU time (user + system, µs) a server started here has used so far. */
async function cpuTime(child) {
  child.send('cpu');
  const [{ cpu }] = await once(child, 'message');
  return cpu.user + cpu.system;
}

/**
 * Starts `node <file> ...args` on `cpu` and resolves with `{ url, child, cpuTime() }` once the
 * server has sent its URL (see serve.mjs). The child exits when it is killed or disconnected.
 */
export async function startServer(file, args, cpu) {
  const [command, argv] = pinned(cpu, process.execPath, [file, ...args]);
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${file} exited with code ${code} before listening`);
  });
  const [{ url }] = await Promise.race([once(child, 'message'), exited]);
  exited.catch(() => {});
  return { url, child, cpuTime: () => cpuTime(child) };
}
