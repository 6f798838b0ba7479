import { once } from 'node:events';
import type { Socket } from 'node:net';
import { destroySocketPairs, socketPair } from '../helpers/sockets.js';
import { waitFor } from '../helpers/wait.js';
import { ClientWatch, EARLY_LIMIT } from '../../lib/upgrade/client-watch.js';

afterEach(destroySocketPairs);

const text = (chunks: Buffer[]): string => Buffer.concat(chunks).toString('latin1');

describe('ClientWatch', () => {
  it('holds the head and what the client sends next, in order, and hands them over once', async () => {
    const [proxySide, client] = await socketPair();
    const watch = new ClientWatch(proxySide, true, Buffer.from('first;'));
    client.write('second;');
    await waitFor(() => proxySide.bytesRead >= 7, 'the second write to be read');
    client.write('third;');
    await waitFor(() => proxySide.bytesRead >= 13, 'the third write to be read');
    expect(text(watch.stop())).toBe('first;second;third;');
    expect(watch.stop()).toEqual([]);
    expect(proxySide.isPaused()).toBe(true);
    expect(proxySide.listenerCount('data')).toBe(0);
    expect(watch.gone).toBe(false);
  });

  it(`stops reading the client once it holds ${EARLY_LIMIT} bytes`, async () => {
    const [proxySide, client] = await socketPair();
    const watch = new ClientWatch(proxySide, true, Buffer.alloc(0));
    client.write(Buffer.alloc(4 * EARLY_LIMIT, 'e'));
    await waitFor(() => proxySide.isPaused(), 'the client to be paused');
    const held = Buffer.concat(watch.stop()).length;
    expect(held).toBeGreaterThanOrEqual(EARLY_LIMIT);
    expect(held).toBeLessThan(2 * EARLY_LIMIT);
  });

  it('is paused from the start by a head of the limit or more, and reads nothing', async () => {
    const [proxySide, client] = await socketPair();
    const watch = new ClientWatch(proxySide, true, Buffer.alloc(EARLY_LIMIT, 'h'));
    client.write('more');
    await new Promise((resolve) => setImmediate(resolve));
    expect(proxySide.isPaused()).toBe(true);
    expect(Buffer.concat(watch.stop()).length).toBe(EARLY_LIMIT);
  });

  it.each([
    ['sends FIN', (socket: Socket) => socket.end()],
    ['resets', (socket: Socket) => socket.resetAndDestroy()],
  ])('notices at once a client that %s', async (_name, leave) => {
    const [proxySide, client] = await socketPair();
    const watch = new ClientWatch(proxySide, true, Buffer.alloc(0));
    leave(client);
    expect(await watch.left).toBe('left');
    expect(watch.gone).toBe(true);
  });

  it('on a plain request holds nothing and leaves the reading to Node, but notices the end', async () => {
    const [proxySide, client] = await socketPair();
    const watch = new ClientWatch(proxySide, false, Buffer.from('ignored'));
    expect(proxySide.listenerCount('data')).toBe(0);
    proxySide.resume(); // Node's parser would read it
    client.end('bytes');
    await watch.left;
    expect(watch.stop()).toEqual([]);
  });

  it('calls onLeave once when the client leaves, though both its end and its close come', async () => {
    const [proxySide, client] = await socketPair();
    let calls = 0;
    const watch = new ClientWatch(proxySide, true, Buffer.alloc(0), () => calls++);
    client.end();
    await once(proxySide, 'end');
    proxySide.destroy();
    await once(proxySide, 'close');
    expect(calls).toBe(1);
    expect(watch.gone).toBe(true);
  });

  it('does not call onLeave after stop, and leaves no listener behind', async () => {
    const [proxySide, client] = await socketPair();
    const before = ['end', 'close', 'data'].map((event) => proxySide.listenerCount(event));
    let calls = 0;
    const watch = new ClientWatch(proxySide, true, Buffer.alloc(0), () => calls++);
    watch.stop();
    expect(['end', 'close', 'data'].map((event) => proxySide.listenerCount(event))).toEqual(before);
    client.end();
    proxySide.resume();
    await once(proxySide, 'end');
    expect(calls).toBe(0);
    expect(watch.gone).toBe(false);
  });

  it('is gone at once for a client that left before the watch began, without calling onLeave', async () => {
    const [proxySide] = await socketPair();
    proxySide.destroy();
    let calls = 0;
    const watch = new ClientWatch(proxySide, true, Buffer.alloc(0), () => calls++);
    expect(watch.gone).toBe(true);
    expect(await watch.left).toBe('left');
    expect(calls).toBe(0);
  });
});
