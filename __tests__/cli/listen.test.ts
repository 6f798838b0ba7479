// Listening as kubectl proxy does: TCP with kubectl's address format, or a unix socket for its
// owner only, a stale socket removed and nothing else ever removed.
import http from 'node:http';
import { once } from 'node:events';
import { linkSync } from 'node:fs';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ListenError, listenTcp, listenUnix } from '../../lib/cli/listen.js';
import { closeAll, tempDir, track } from './helpers.js';

afterEach(closeAll);

/** An HTTP server answering `here`, closed by closeAll. */
function server(): http.Server {
  const created = http.createServer((_req, res) => res.end('here'));
  track({
    close: async () => {
      created.closeAllConnections();
      if (created.listening) await new Promise<void>((resolve) => created.close(() => resolve()));
    },
  });
  return created;
}

/** GET / over the unix socket at `socketPath`; resolves with the body. */
async function getOverSocket(socketPath: string): Promise<string> {
  const req = http.get({ socketPath, path: '/', agent: false });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** How connecting to the socket at `path` ends: `connected`, or the error code. */
async function probe(path: string): Promise<string> {
  const socket = net.connect({ path });
  try {
    await once(socket, 'connect');
    return 'connected';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  } finally {
    socket.destroy();
  }
}

/**
 * Leaves a stale socket file at `path`: a server listens on a sibling path, the socket file gets a
 * second name (a hard link) at `path`, and the server closes. Node unlinks the name it listened
 * on, not the other one, which is left with no one listening, as after a crash.
 */
async function staleSocket(path: string): Promise<void> {
  const sibling = `${path}.live`;
  const live = net.createServer();
  live.listen(sibling);
  await once(live, 'listening');
  linkSync(sibling, path);
  await new Promise<void>((resolve) => live.close(() => resolve()));
}

/** The ListenError a listenUnix call rejects with. */
async function listenError(promise: Promise<unknown>): Promise<ListenError> {
  const outcome = await promise.then(
    () => new Error('expected listenUnix to fail'),
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(ListenError);
  expect((outcome as Error).name).toBe('ListenError');
  expect((outcome as Error).message).not.toContain('\n');
  return outcome as ListenError;
}

describe('listenUnix', () => {
  it('listens on the socket with mode 0600 and returns its path', async () => {
    const path = join(await tempDir(), 'proxy.sock');
    const umask = process.umask();
    const srv = server();
    expect(await listenUnix(srv, path)).toBe(path);
    const info = await lstat(path);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
    expect(process.umask()).toBe(umask);
    expect(await getOverSocket(path)).toBe('here');
  });

  it('removes a stale socket file no server answers on, then listens there', async () => {
    const path = join(await tempDir(), 'proxy.sock');
    await staleSocket(path);
    expect((await lstat(path)).isSocket()).toBe(true);
    expect(await probe(path)).toBe('ECONNREFUSED');
    await listenUnix(server(), path);
    expect(await getOverSocket(path)).toBe('here');
    expect((await lstat(path)).mode & 0o777).toBe(0o600);
  });

  it('refuses a regular file at the path and leaves it as it was', async () => {
    const path = join(await tempDir(), 'notes.txt');
    await writeFile(path, 'precious data\n');
    const srv = server();
    const err = await listenError(listenUnix(srv, path));
    expect(err.message).toBe(`${path} exists and is not a socket; not removing it`);
    expect(await readFile(path, 'utf8')).toBe('precious data\n');
    expect(srv.listening).toBe(false);
  });

  it('refuses a directory at the path and leaves it', async () => {
    const path = join(await tempDir(), 'dir.sock');
    await mkdir(path);
    await writeFile(join(path, 'inside'), 'kept');
    await listenError(listenUnix(server(), path));
    expect(await readFile(join(path, 'inside'), 'utf8')).toBe('kept');
  });

  it('refuses a socket another server answers on, and that server keeps answering', async () => {
    const path = join(await tempDir(), 'busy.sock');
    const other = server();
    other.listen(path);
    await once(other, 'listening');
    const mine = server();
    const err = await listenError(listenUnix(mine, path));
    expect(err.message).toBe(`another server is listening on ${path}`);
    expect(mine.listening).toBe(false);
    expect(await getOverSocket(path)).toBe('here');
  });

  it('restores the umask when listening fails', async () => {
    const umask = process.umask();
    const path = join(await tempDir(), 'no-such-dir', 'proxy.sock');
    await expect(listenUnix(server(), path)).rejects.toThrow();
    expect(process.umask()).toBe(umask);
  });
});

describe('listenTcp', () => {
  it('listens on 127.0.0.1 and returns `127.0.0.1:PORT` with the port picked', async () => {
    const srv = server();
    const address = await listenTcp(srv, 0, '127.0.0.1');
    const { port } = srv.address() as AddressInfo;
    expect(port).toBeGreaterThan(0);
    expect(address).toBe(`127.0.0.1:${port}`);
  });

  it('returns an IPv6 address in brackets, `[::1]:PORT`', async () => {
    const srv = server();
    if (await ipv6Loopback()) {
      const address = await listenTcp(srv, 0, '::1');
      expect(address).toBe(`[::1]:${(srv.address() as AddressInfo).port}`);
    } else {
      // No ::1 here: listen on 127.0.0.1 and have the server report an IPv6 address, so the
      // formatting is still checked.
      const real = srv.address.bind(srv);
      srv.address = () => ({ ...(real() as AddressInfo), family: 'IPv6', address: '::1' });
      const address = await listenTcp(srv, 0, '127.0.0.1');
      expect(address).toBe(`[::1]:${(real() as AddressInfo).port}`);
    }
  });

  it('rejects with the system error when the port is taken', async () => {
    const first = server();
    await listenTcp(first, 0, '127.0.0.1');
    const { port } = first.address() as AddressInfo;
    await expect(listenTcp(server(), port, '127.0.0.1')).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});

/** Whether this machine can listen on ::1. */
async function ipv6Loopback(): Promise<boolean> {
  const probeServer = net.createServer();
  try {
    probeServer.listen(0, '::1');
    await once(probeServer, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    probeServer.close();
  }
}
