import type net from 'node:net';
import { destroySocketPairs, socketPair } from '../helpers/sockets.js';
import { waitFor } from '../helpers/wait.js';
import { tunnel } from '../../lib/upgrade/tunnel.js';

afterEach(() => {
  destroySocketPairs();
});

const closed = (socket: net.Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });

/** The proxy's `client` and `backend` sockets tunnelled, and the far ends `user` and `server`. */
async function setup(maxBytesPerSec = 0) {
  const [client, user] = await socketPair();
  const [backend, server] = await socketPair();
  let closes = 0;
  const close = tunnel(client, backend, maxBytesPerSec, () => closes++);
  return { client, user, backend, server, close, closes: () => closes };
}

function read(socket: net.Socket, length: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (text.length < length) return;
      socket.removeListener('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
  });
}

function readBytes(socket: net.Socket, length: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size < length) return;
      socket.removeListener('data', onData);
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', onData);
  });
}

describe('tunnel', () => {
  it('copies bytes both ways', async () => {
    const { user, server } = await setup();
    const atServer = read(server, 5);
    user.write('hello');
    expect(await atServer).toBe('hello');
    const atUser = read(user, 5);
    server.write('world');
    expect(await atUser).toBe('world');
  });

  it('delivers the last bytes of the side that ends, then closes both and reports it once', async () => {
    const { user, server, client, backend, closes } = await setup();
    const atUser = read(user, 7);
    server.end('goodbye');
    expect(await atUser).toBe('goodbye');
    await Promise.all([closed(user), closed(server)]);
    expect(client.destroyed && backend.destroyed).toBe(true);
    expect(closes()).toBe(1);
  });

  it('stops reading a side while the other does not take its bytes, then delivers them all', async () => {
    const { user, server, client, backend } = await setup();
    user.pause(); // the user reads nothing for now
    const sent = Buffer.alloc(32 << 20);
    for (let i = 0; i < sent.length; i += 4096) sent.writeUInt32BE(i, i);
    server.write(sent);
    await waitFor(() => backend.isPaused(), 'the backend side to be paused');
    // What the proxy holds for the user is bounded by its write buffer, not by what the server sent.
    expect(client.writableLength).toBeLessThanOrEqual(client.writableHighWaterMark + (64 << 10));
    expect(server.writableLength).toBeGreaterThan(0); // the rest waits at the server, not in the proxy
    const atUser = readBytes(user, sent.length);
    user.resume();
    expect((await atUser).equals(sent)).toBe(true);
  });

  it('closes both at once when one side fails', async () => {
    const { user, server, closes } = await setup();
    server.resetAndDestroy();
    await closed(user);
    expect(closes()).toBe(1);
  });

  it('returns a function that closes the tunnel; onClose still runs once', async () => {
    const { user, server, close, closes } = await setup(1024);
    user.write(Buffer.alloc(10_000)); // the throttle holds most of it, with a timer
    close();
    close();
    await Promise.all([closed(user), closed(server)]);
    expect(closes()).toBe(1);
  });

  it('throttles each direction on its own with maxBytesPerSec', async () => {
    // Fake clocks for the throttles' timers; socket I/O and the stream machinery stay real.
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate'],
    });
    try {
      const { user, server } = await setup(10_000);
      user.write(Buffer.alloc(5_000, 1));
      server.write(Buffer.alloc(5_000, 2));
      // With the clock stopped, each direction passes its first window's 1000 bytes and no more.
      expect((await read(server, 1_000)).length).toBe(1_000);
      expect((await read(user, 1_000)).length).toBe(1_000);
      const more = [read(server, 1_000), read(user, 1_000)];
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      jest.advanceTimersByTime(100);
      expect((await Promise.all(more)).map((text) => text.length)).toEqual([1_000, 1_000]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('closes at once when a socket was already closed before the tunnel started', async () => {
    const [client, user] = await socketPair();
    const [backend] = await socketPair();
    backend.destroy();
    let closes = 0;
    tunnel(client, backend, 0, () => closes++);
    await closed(user);
    expect(closes).toBe(1);
  });
});
