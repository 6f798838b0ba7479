// Parent side of the WebSocket load generator (ws-client.mjs): one child process per run, pinned
// to the given CPU, driven over IPC so the contender's CPU time is read exactly around the
// measured window (connection set-up and close left out).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinned } from './processes.mjs';

const CLIENT = fileURLToPath(new URL('ws-client.mjs', import.meta.url));

/** Resolves with the child's next IPC message; rejects if it exits first or reports an error. */
function next(child) {
  return new Promise((resolve, reject) => {
    const done = () => child.off('message', onMessage).off('exit', onExit);
    const onMessage = (message) => {
      done();
      if (message.error) reject(new Error(message.error));
      else resolve(message);
    };
    const onExit = (code) => {
      done();
      reject(new Error(`ws-client.mjs exited with code ${code}`));
    };
    child.on('message', onMessage).on('exit', onExit);
  });
}

/**
 * Loads the WebSocket echo server at `url` (ws://) from `connections` connections, each with
 * `window` messages of `bytes` bytes in flight, for `seconds`, from `cpu`. `cpuTime()` is read
 * when the messages start and when they stop. Resolves with
 * `{ echoes, rate, p50Ms, p99Ms, errors, cpuUs }`, `cpuUs` being that CPU time over `echoes`.
 */
export async function echoLoad(url, { connections, window, bytes, seconds, cpu, cpuTime }) {
  const numbers = [connections, window, bytes, seconds].map(String);
  const [command, args] = pinned(cpu, process.execPath, [CLIENT, url, ...numbers]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await next(child); // { ready }: every connection is open
    const cpuBefore = await cpuTime();
    child.send('go');
    const { result } = await next(child);
    const cpuUs = (await cpuTime() - cpuBefore) / result.echoes;
    await exited;
    return { ...result, cpuUs };
  } finally {
    child.kill();
  }
}
