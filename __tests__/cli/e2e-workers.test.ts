// `--workers N` on the built command (docs/cli.md, "Workers"): the cluster's workers share the
// listening socket (TCP and unix), one that dies is replaced while the others serve, SIGTERM and
// SIGINT drain them all (tunnels closed, exit 0), and the count is checked like any flag.
//
// Which process served a request is read where a user reads it: the ` worker=PID` field of the
// access log. Each PID is checked to be a child of the command's process (/proc/PID/stat), so two
// PIDs there are two processes serving, not a label.
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { spawnNode, whenWritten } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';
import { openWebSocket } from '../helpers/websockets.js';
import { ROOT, echo, guard, runCli, startCliProcess, useBackendAndDir } from './spawn.js';
import type { Backend, RunningCliProcess } from './spawn.js';

let backend: Backend;
let dir: string;

useBackendAndDir('upgrade-aware-workers-', (b, d) => ([backend, dir] = [b, d]));

/** The parent PID of `pid` (field 4 of /proc/PID/stat, after the parenthesised command name). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Whether a process `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function urlOptions(where: URL | http.RequestOptions): http.RequestOptions {
  if (!(where instanceof URL)) return where;
  return { hostname: where.hostname, port: where.port, path: `${where.pathname}${where.search}` };
}

/** One GET on a connection of its own (TCP, or the unix socket `socketPath`); resolves with the body. */
function get(target: { url: string } | { socketPath: string }, path: string): Promise<string> {
  const where =
    'url' in target
      ? new URL(path, target.url)
      : { socketPath: target.socketPath, path, host: 'localhost' };
  return new Promise((resolve, reject) => {
    const req = http.get({ ...urlOptions(where), agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** The PID in the access-log line of the request for `path`, once the line is written. */
async function servedBy(cli: RunningCliProcess, path: string): Promise<number> {
  const line = new RegExp(` GET ${path} 200 in=\\d+ out=\\d+ \\S+ worker=(\\d+)\\n`);
  const stderr = await cli.waitForStderr((text) => line.test(text), `the log line of ${path}`);
  return Number(line.exec(stderr)![1]);
}

/** Sends GETs for `/<tag>-1`, `/<tag>-2`, ... one at a time until `enough(pids)`; resolves with the PIDs that served them. */
async function requestUntil(
  cli: RunningCliProcess,
  target: { url: string } | { socketPath: string },
  tag: string,
  enough: (pids: Set<number>) => boolean,
): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 1; !enough(pids); i += 1) {
    expect(await get(target, `/${tag}-${i}`)).toBe(`backend: GET /${tag}-${i}\n`);
    pids.add(await servedBy(cli, `/${tag}-${i}`));
  }
  return pids;
}

/** Two workers seen serving: their PIDs, both children of the command's process. */
async function twoWorkers(
  cli: RunningCliProcess,
  target: { url: string } | { socketPath: string },
): Promise<number[]> {
  const pids = await guard(
    requestUntil(cli, target, 'first', (seen) => seen.size === 2),
    () => `two workers never served: ${cli.output().stderr}`,
  );
  for (const pid of pids) expect(parentOf(pid)).toBe(cli.child.pid);
  return [...pids];
}

/** Resolves with the error code of a connection attempt to 127.0.0.1:`port`, or `connected`. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('--workers 2 on a TCP port', () => {
  it('serves from two worker processes sharing one port', async () => {
    const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--workers', '2']);
    const pids = await twoWorkers(cli, cli);
    expect(pids).not.toContain(cli.child.pid);
    expect(cli.output().stdout).toBe(`Starting to serve on ${cli.address}\n`);
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--workers', '2']);
    const [dead, survivor] = await twoWorkers(cli, cli);
    process.kill(dead, 'SIGKILL');
    await cli.waitForStderr(
      (text) => text.includes(`warning: worker ${dead} exited (signal SIGKILL); starting another`),
      'the dead worker reported',
    );
    // The survivor serves at once; the replacement, once it listens, takes its share.
    const pids = await guard(
      requestUntil(cli, cli, 'after', (seen) => [...seen].some((pid) => pid !== survivor)),
      () => `no new worker ever served: ${cli.output().stderr}`,
    );
    const replacement = [...pids].find((pid) => pid !== survivor)!;
    expect(replacement).not.toBe(dead);
    expect(parentOf(replacement)).toBe(cli.child.pid);
  });

  describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
    it('drains every worker: tunnels closed and logged, port closed, workers gone, exit 0', async () => {
      const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--workers', '2']);
      const pids = await twoWorkers(cli, cli);
      // Connections alternate between the workers, so two tunnels in a row are one in each.
      const tunnels = [
        await openWebSocket(`ws://${cli.address}/ws-1`),
        await openWebSocket(`ws://${cli.address}/ws-2`),
      ];
      for (const ws of tunnels)
        expect(await echo(ws, 'before the signal')).toBe('before the signal');
      const closed = tunnels.map((ws) => once(ws, 'close'));

      const exit = await cli.stop(signal);
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      await guard(Promise.all(closed), () => 'a WebSocket client never saw its tunnel close');
      expect(await tryConnect(cli.port)).toBe('ECONNREFUSED');
      for (const pid of pids) expect(alive(pid)).toBe(false);
      // Each tunnel's line, written as it closed, by the worker that held it: drained, not killed.
      const tunnelPids = [1, 2].map(
        (n) =>
          new RegExp(` GET /ws-${n} 101 tunnel in=\\d+ out=\\d+ \\S+ worker=(\\d+)\\n`).exec(
            exit.stderr,
          )?.[1],
      );
      expect(new Set(tunnelPids)).toEqual(new Set(pids.map(String)));
      expect(exit.stderr).not.toMatch(/^\s*at /m);
    });
  });

  // A terminal's Ctrl-C reaches every process of the group: each worker gets SIGINT and the
  // primary's request to drain too, which must not count as a second signal (that exits at once,
  // cutting what is in flight). The backend answers a request held across the signals afterwards,
  // well within the 3 s the drain gives busy connections.
  it('lets a request in flight finish on Ctrl-C (SIGINT to the command and every worker)', async () => {
    const held: http.ServerResponse[] = [];
    const slow = http.createServer((req, res) => {
      if (req.url === '/slow') held.push(res);
      else res.end(`backend: GET ${req.url}\n`);
    });
    slow.listen(0, '127.0.0.1');
    await once(slow, 'listening');
    const target = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    try {
      const cli = await startCliProcess(['--target', target, '--port', '0', '--workers', '2']);
      const pids = await twoWorkers(cli, cli);
      const answer = get(cli, '/slow');
      await waitFor(() => held.length === 1, 'the backend to get /slow');
      for (const pid of [cli.child.pid!, ...pids]) process.kill(pid, 'SIGINT');
      await delay(300);
      held[0].end('answered after the signals\n');
      expect(await answer).toBe('answered after the signals\n');
      await waitFor(() => cli.child.exitCode !== null, 'the command to exit');
      expect(cli.child.exitCode).toBe(0);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });

  it('exits 1 with one error line when the port is taken', async () => {
    const exit = await runCli([
      '--target',
      backend.url,
      '--port',
      String(backend.port),
      '--workers',
      '2',
    ]);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/^error: .*EADDRINUSE.*\n$/);
    expect(exit.stdout).toBe('');
  });
});

describe('--workers 2 on a unix socket', () => {
  it('serves from two workers on a 0600 socket, and removes it on SIGTERM', async () => {
    const socketPath = join(dir, 'proxy.sock');
    const cli = await startCliProcess([
      '--target',
      backend.url,
      '-u',
      socketPath,
      '--workers',
      '2',
    ]);
    expect(cli.address).toBe(socketPath);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    await twoWorkers(cli, { socketPath });
    const exit = await cli.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
  });
});

describe('--workers 1', () => {
  it('runs no cluster: one process, log lines without a worker field', async () => {
    const cli = await startCliProcess(['--target', backend.url, '--port', '0', '--workers', '1']);
    expect(await get(cli, '/one')).toBe('backend: GET /one\n');
    const stderr = await cli.waitForStderr((text) => / GET \/one 200 /.test(text), 'the log line');
    expect(stderr).toMatch(/ GET \/one 200 in=\d+ out=\d+ \S+\n/);
    expect(stderr).not.toContain('worker');
    const pid = cli.child.pid!;
    expect(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()).toBe('');
  });
});

describe('a bad --workers', () => {
  it.each(['0', 'x', '-1', '1025', ''])(
    'refuses --workers=%j with the usual flag error',
    async (value) => {
      const exit = await runCli(['--target', backend.url, `--workers=${value}`]);
      expect(exit.code).toBe(2);
      expect(exit.stderr).toBe(
        `error: invalid value ${JSON.stringify(value)} for --workers: must be auto or an integer from 1 to 1024\n`,
      );
    },
  );
});

/**
 * The command's primary (dist/cli/workers.js) over two workers that stay up and replacements that
 * die at once, as a worker does that crashes on start; the restart policy is shortened (10 ms
 * doubling to 40 ms, more than 5 restarts a minute is a loop) so the loop ends in a test's time.
 */
const CRASH_LOOP = `
const cluster = require('node:cluster');
const { superviseWorkers } = require(${JSON.stringify(join(ROOT, 'dist', 'cli', 'workers.js'))});
if (cluster.isPrimary) {
  superviseWorkers(2, {
    say: (line) => process.stdout.write(line + '\\n'),
    tell: (line) => process.stderr.write(line + '\\n'),
    deadlineMs: 5000,
    restart: { firstMs: 10, maxMs: 40, limit: 5, windowMs: 60000 },
  });
} else if (cluster.worker.id <= 2) {
  process.on('message', (message) => message === 'stop' && process.disconnect());
  process.send({ listening: 'nowhere' });
} else {
  process.exit(3);
}
`;

describe('a crash loop', () => {
  it('restarts with a growing delay, then stops the other workers and exits 1', async () => {
    const script = join(dir, 'crash-loop.js');
    writeFileSync(script, CRASH_LOOP);
    const run = spawnNode(script, []);
    try {
      const primaryPid = run.child.pid!;
      await guard(
        whenWritten(
          run.child.stdout!,
          () => run.output().stdout,
          (text) => text.includes('nowhere'),
        ),
        () => `the workers never started: ${JSON.stringify(run.output())}`,
      );
      const workers = readFileSync(`/proc/${primaryPid}/task/${primaryPid}/children`, 'utf8')
        .trim()
        .split(' ')
        .map(Number);
      expect(workers).toHaveLength(2);
      process.kill(workers[0], 'SIGKILL');
      const exit = await guard(
        run.exited,
        () => `the primary never gave up: ${JSON.stringify(run.output())}`,
      );
      expect(exit.code).toBe(1);
      const delays = [
        ...exit.stderr.matchAll(
          /exited \((?:signal SIGKILL|code 3)\); starting another in (\d+)ms/g,
        ),
      ];
      expect(delays.map((m) => Number(m[1]))).toEqual([10, 20, 40, 40, 40]);
      expect(exit.stderr).toMatch(
        /\nerror: workers keep exiting \(5 restarts within 60s\); stopping\n$/,
      );
      expect(alive(workers[1])).toBe(false);
    } finally {
      await run.kill();
    }
  });
});
