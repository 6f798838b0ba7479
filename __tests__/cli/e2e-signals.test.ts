// The real command's shutdown (docs/cli.md, "Stopping and exit status"): on SIGTERM or SIGINT it stops accepting, ends the
// tunnels, closes idle keep-alive connections and exits 0; on a unix socket it removes the socket
// file. The 10 s guard on the exit is a hang guard, not a speed requirement.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { openWebSocket } from '../helpers/websockets.js';
import { echo, guard, startCliProcess, useBackendAndDir } from './spawn.js';
import type { Backend } from './spawn.js';

let backend: Backend;
let dir: string;

useBackendAndDir('upgrade-aware-signals-', (b, d) => ([backend, dir] = [b, d]));

/** A GET through a keep-alive agent; resolves with the body and the connection, left idle in the pool. */
function keepAliveGet(agent: http.Agent, url: string): Promise<{ body: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ body, socket: req.socket as Socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
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

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  it('ends an open WebSocket and an idle keep-alive connection, stops listening and exits 0', async () => {
    const cli = await startCliProcess(['--target', backend.url, '--port', '0']);
    const ws = await openWebSocket(`ws://${cli.address}/ws`);
    expect(await echo(ws, 'before the signal')).toBe('before the signal');
    const wsClosed = once(ws, 'close');
    const agent = new http.Agent({ keepAlive: true });
    try {
      const idle = await keepAliveGet(agent, `${cli.url}/idle`);
      expect(idle.body).toBe('backend: GET /idle\n');
      expect(idle.socket.destroyed).toBe(false);
      const idleClosed = once(idle.socket, 'close');

      const exit = await cli.stop(signal);
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      await guard(wsClosed, () => 'the WebSocket client never saw its connection close');
      await guard(idleClosed, () => 'the idle keep-alive connection was never closed');
      expect(await tryConnect(cli.port)).toBe('ECONNREFUSED');
      expect(exit.stderr).toMatch(/ GET \/ws 101 tunnel in=\d+ out=\d+ /);
      expect(exit.stderr).not.toMatch(/^\s*at /m);
    } finally {
      agent.destroy();
    }
  });

  it('removes its unix socket file', async () => {
    const socket = join(dir, 'proxy.sock');
    const cli = await startCliProcess(['--target', backend.url, '--unix-socket', socket]);
    expect(existsSync(socket)).toBe(true);
    const exit = await cli.stop(signal);
    expect(exit.code).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});
