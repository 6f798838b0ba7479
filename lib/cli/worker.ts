/**
 * The worker's side of `--workers N` (the primary's is workers.ts): what it tells the primary, the
 * primary's request to drain, and its log lines, tagged with its PID.
 */

/** What a worker tells the primary: that it listens (on ADDRESS), or why it could not. */
export type WorkerReport = { listening: string } | { failed: string; exitCode: number };

/** What the primary tells a worker: drain and exit (a no-op when it already does). */
export const STOP = 'stop';

/** The largest write a pipe takes whole (POSIX PIPE_BUF on Linux): longer lines from two workers could interleave. */
const ATOMIC_BYTES = 4096;
const HEAD_CHARS = 1000;
const TAIL_CHARS = 200;

/**
 * A worker's log line with ` worker=PID` at its end, cut in the middle (`...`) when it would not
 * reach the shared stderr in one piece: workers write to the same pipe, and a piece of one line
 * inside another's would start a line the client wrote (the path is the client's).
 *
 * @example workerLine('... 200 in=1 out=2 3.2ms\n', 41) // '... 200 in=1 out=2 3.2ms worker=41\n'
 */
export function workerLine(line: string, pid: number): string {
  let text = line.endsWith('\n') ? line.slice(0, -1) : line;
  // A UTF-16 unit is at most 3 bytes in UTF-8, so the cut line is under ATOMIC_BYTES.
  if (Buffer.byteLength(text) > ATOMIC_BYTES - 64)
    text = `${text.slice(0, HEAD_CHARS)}...${text.slice(-TAIL_CHARS)}`;
  return `${text} worker=${pid}\n`;
}

/** In a worker: tells the primary it listens on `address`, or why it could not start; resolves once sent. */
export function report(message: WorkerReport): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send?.(message, () => resolve())) resolve();
  });
}

/** In a worker: calls `stop` when the primary asks it to drain. */
export function onStopRequest(stop: () => void): void {
  process.on('message', (message: unknown) => {
    if (message === STOP) stop();
  });
}
