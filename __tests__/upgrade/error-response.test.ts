import { Duplex } from 'node:stream';
import { destroySocketPairs, socketPair } from '../helpers/sockets.js';
import { waitFor } from '../helpers/wait.js';
import {
  ERROR_BODY_LIMIT,
  ERROR_RESPONSE_DEADLINE,
  relayErrorResponse,
} from '../../lib/upgrade/error-response.js';
import { MAX_LINE } from '../../lib/upgrade/message-end.js';
import { readResponseHead } from '../../lib/upgrade/response-head.js';

afterEach(() => {
  destroySocketPairs();
  jest.useRealTimers();
});

/**
 * The proxy's two connections: `client` (its end towards the user, `user` the other end) and
 * `backend` (its end towards the backend, `server` the other end). The server's answer starts
 * with `answer`; the head is read as the upgrade path reads it.
 */
async function setup(answer: string, method = 'GET') {
  const [client, user] = await socketPair();
  const [backend, server] = await socketPair();
  const received: Buffer[] = [];
  user.on('data', (chunk: Buffer) => received.push(chunk));
  // Not events.once: that rejects on the 'error' (a reset) that may come before the close.
  const userClosed = new Promise((resolve) => user.once('close', resolve));
  const serverClosed = new Promise((resolve) => server.once('close', resolve));
  server.write(answer);
  const head = await readResponseHead(backend);
  relayErrorResponse(client, backend, head, method);
  return {
    client,
    user,
    backend,
    server,
    userClosed,
    serverClosed,
    text: () => Buffer.concat(received).toString('latin1'),
  };
}

describe('relayErrorResponse', () => {
  it('relays the head and a Content-Length body, nothing after it, then closes both connections', async () => {
    const message = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 9\r\n\r\nsome data';
    const { backend, client, userClosed, serverClosed, text } = await setup(
      message + 'HTTP/1.1 200 OK\r\n\r\nsmuggled',
    );
    await Promise.all([userClosed, serverClosed]);
    expect(text()).toBe(message);
    expect(backend.destroyed).toBe(true);
    expect(client.destroyed).toBe(true);
  });

  it('relays a body that arrives after the head, chunked, up to its last chunk', async () => {
    const head = 'HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n';
    const { server, userClosed, text } = await setup(head);
    server.write('4\r\nsome\r\n');
    server.write('5\r\n data\r\n0\r\n\r\nGET /there HTTP/1.1\r\n\r\n');
    await userClosed;
    expect(text()).toBe(head + '4\r\nsome\r\n5\r\n data\r\n0\r\n\r\n');
  });

  it('relays the head alone for a HEAD request', async () => {
    const head = 'HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\n';
    const { userClosed, text } = await setup(head + 'some data', 'HEAD');
    await userClosed;
    expect(text()).toBe(head);
  });

  it('relays a close-delimited body until the backend closes', async () => {
    const head = 'HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n';
    const { server, userClosed, text } = await setup(head + 'part one, ');
    server.end('part two');
    await userClosed;
    expect(text()).toBe(head + 'part one, part two');
  });

  it('reads nothing more from the client', async () => {
    const { client, user, server } = await setup(
      'HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\n',
    );
    expect(client.isPaused()).toBe(true);
    const forwarded: Buffer[] = [];
    server.on('data', (chunk: Buffer) => forwarded.push(chunk));
    user.write('GET /there HTTP/1.1\r\nHost: x\r\n\r\n');
    server.write('nope');
    await new Promise((resolve) => user.once('close', resolve));
    expect(Buffer.concat(forwarded).length).toBe(0);
  });

  it(`gives the whole exchange ${ERROR_RESPONSE_DEADLINE} ms, then destroys both connections`, async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate'],
    });
    const { client, backend, server, userClosed, text } = await setup(
      'HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\nonly a little',
    );
    server.write(' more');
    await new Promise((resolve) => setImmediate(resolve));
    jest.advanceTimersByTime(ERROR_RESPONSE_DEADLINE - 1);
    expect(client.destroyed).toBe(false);
    expect(backend.destroyed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(client.destroyed).toBe(true);
    expect(backend.destroyed).toBe(true);
    await userClosed;
    expect(text().startsWith('HTTP/1.1 500 Oops\r\n')).toBe(true);
    expect(ERROR_RESPONSE_DEADLINE).toBe(10_000);
  });

  it(`relays at most ${ERROR_BODY_LIMIT} bytes of body, then closes both connections`, async () => {
    const head = 'HTTP/1.1 403 Forbidden\r\nContent-Length: 3145728\r\n\r\n';
    const { server, userClosed, serverClosed, text } = await setup(head);
    server.on('error', () => {}); // it may be reset while it still writes
    server.write(Buffer.alloc(3 * 1024 * 1024, 'x'));
    await Promise.all([userClosed, serverClosed]);
    expect(ERROR_BODY_LIMIT).toBe(1024 * 1024);
    expect(text().length).toBe(head.length + ERROR_BODY_LIMIT);
  });

  it(`closes both connections at a chunked framing line over ${MAX_LINE} bytes`, async () => {
    const head = 'HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n';
    const { server, userClosed, serverClosed, text } = await setup(head + '4\r\nsome\r\n');
    server.on('error', () => {});
    server.write('1' + '0'.repeat(10 * MAX_LINE));
    await Promise.all([userClosed, serverClosed]);
    expect(text().startsWith(head + '4\r\nsome\r\n')).toBe(true);
    expect(text().length).toBeLessThan(head.length + 10 + MAX_LINE);
  });
});

/** A client end that takes bytes into memory but acknowledges none of them until released. */
class StalledClient extends Duplex {
  readonly received: Buffer[] = [];
  private held: (() => void)[] = [];
  private released = false;

  constructor() {
    super({ read() {}, highWaterMark: 16 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.received.push(chunk);
    if (this.released) done();
    else this.held.push(done);
  }

  release(): void {
    this.released = true;
    for (const done of this.held.splice(0)) done();
  }
}

describe('relayErrorResponse with a client that does not read', () => {
  it("stops reading the backend while the client's buffer is full, and goes on once it drains", async () => {
    const BODY = 512 * 1024;
    const client = new StalledClient();
    const [backend, server] = await socketPair();
    const head = `HTTP/1.1 400 Bad Request\r\nContent-Length: ${BODY}\r\n\r\n`;
    server.write(head);
    const response = await readResponseHead(backend);
    relayErrorResponse(client, backend, response, 'GET');
    server.write(Buffer.alloc(BODY, 'z'));
    // Without backpressure the whole body ends up queued in the client's buffer.
    await waitFor(
      () => backend.isPaused() || client.writableLength >= BODY,
      'the backend to be paused or the body to be queued',
    );
    expect({
      paused: backend.isPaused(),
      queuedUnder128KiB: client.writableLength < 128 * 1024,
    }).toEqual({ paused: true, queuedUnder128KiB: true });
    client.release();
    await waitFor(() => client.writableFinished, 'the whole answer to be written');
    expect(Buffer.concat(client.received).length).toBe(head.length + BODY);
  });
});
