/**
 * Listening as kubectl proxy does: on an address and port, or on a unix socket readable and
 * writable by its owner only, with a stale socket file from an earlier run removed first. A file
 * that is not a socket, or a socket another server still answers on, is never removed.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createConnection } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A socket path that cannot be used; the message says why, in one line. */
export class ListenError extends Error {
  override name = 'ListenError';
}

function listening(
  server: Server,
  where: { port: number; host: string } | { path: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(where, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

/** True when a server accepts connections on the unix socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Removes a socket file no server answers on; refuses anything else at `path`.
 *
 * @throws {ListenError} when the path holds something that must not be removed.
 */
export async function removeStale(path: string): Promise<void> {
  const info = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!info) return;
  if (!info.isSocket())
    throw new ListenError(`${path} exists and is not a socket; not removing it`);
  if (await answers(path)) throw new ListenError(`another server is listening on ${path}`);
  await unlink(path);
}

/**
 * Listens on the unix socket at `path` with permissions 0600 (umask 0077 while it is created).
 *
 * @param options.stale [true] Remove a stale socket file first. A cluster worker passes false: its
 *   primary has done it once, and binds the socket for every worker (with its own umask), so a
 *   worker's probe would find its siblings answering there.
 * @throws {ListenError} when the path holds something that must not be removed.
 */
export async function listenUnix(
  server: Server,
  path: string,
  { stale = true }: { stale?: boolean } = {},
): Promise<string> {
  if (stale) await removeStale(path);
  const umask = process.umask(0o077);
  try {
    await listening(server, { path });
  } finally {
    process.umask(umask);
  }
  await chmod(path, 0o600);
  return path;
}

/** Listens on `address:port` and returns the address as kubectl prints it (`127.0.0.1:8001`, `[::1]:8001`). */
export async function listenTcp(server: Server, port: number, address: string): Promise<string> {
  await listening(server, { port, host: address });
  const bound = server.address() as AddressInfo;
  return bound.family === 'IPv6'
    ? `[${bound.address}]:${bound.port}`
    : `${bound.address}:${bound.port}`;
}
