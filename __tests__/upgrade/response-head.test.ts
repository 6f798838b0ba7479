import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { MAX_HEAD, parseHead, readResponseHead } from '../../lib/upgrade/response-head.js';

describe('parseHead', () => {
  it('reads the status and the headers, names lower-cased, values trimmed, repeats kept', () => {
    const { status, headers } = parseHead(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade:  websocket \r\nCONNECTION:Upgrade\r\nSet-Cookie: a=1\r\nset-cookie: b=2',
    );
    expect(status).toBe(101);
    expect([...headers]).toEqual([
      ['upgrade', ['websocket']],
      ['connection', ['Upgrade']],
      ['set-cookie', ['a=1', 'b=2']],
    ]);
  });

  it('accepts HTTP/1.0 and a status line without a reason phrase', () => {
    expect(parseHead('HTTP/1.0 404').status).toBe(404);
    expect(parseHead('HTTP/1.1 500 ').status).toBe(500);
    expect(parseHead('HTTP/1.1 101 Switching Protocols').headers.size).toBe(0);
  });

  it("refuses a malformed status line with Go's message", () => {
    expect(() => parseHead('SSH-2.0-OpenSSH_9.6')).toThrow(
      'malformed HTTP response "SSH-2.0-OpenSSH_9.6"',
    );
    expect(() => parseHead('HTTP/1.1 20 OK')).toThrow(/^malformed HTTP response/);
    expect(() => parseHead('HTTP/2 200')).toThrow(/^malformed HTTP response/);
  });

  it('refuses a header line without a name and a colon', () => {
    expect(() => parseHead('HTTP/1.1 101 OK\r\nno colon here')).toThrow(
      'malformed MIME header line: no colon here',
    );
    expect(() => parseHead('HTTP/1.1 101 OK\r\n: empty name')).toThrow(
      'malformed MIME header line: : empty name',
    );
  });
});

describe('readResponseHead', () => {
  const HEAD =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n';

  /** Writes each piece on its own turn of the event loop, so each is its own 'data' chunk. */
  async function feed(stream: PassThrough, pieces: (string | Buffer)[]): Promise<void> {
    for (const piece of pieces) {
      stream.write(piece);
      await tick();
    }
  }

  it('parses a head that arrives in one chunk and records every byte read', async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    socket.write(HEAD + 'early tunnel bytes');
    const head = await reading;
    expect(head.status).toBe(101);
    expect(head.headers.get('upgrade')).toEqual(['SPDY/3.1']);
    expect(head.headLength).toBe(HEAD.length);
    expect(head.raw.toString('latin1')).toBe(HEAD + 'early tunnel bytes');
  });

  it('finds the end of a head delivered one byte at a time, the blank line split across chunks', async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    await feed(
      socket,
      [...HEAD].map((c) => Buffer.from(c, 'latin1')),
    );
    const head = await reading;
    expect(head.headLength).toBe(HEAD.length);
    expect(head.raw.toString('latin1')).toBe(HEAD);
  });

  it('finds the end at every split point of head and body', async () => {
    const all = HEAD + 'xyz';
    for (let split = 1; split < all.length; split++) {
      const socket = new PassThrough();
      const reading = readResponseHead(socket);
      await feed(socket, [all.slice(0, split), all.slice(split)]);
      const head = await reading;
      expect(head.headLength).toBe(HEAD.length);
      expect(head.raw.toString('latin1').startsWith(HEAD)).toBe(true);
    }
  });

  it('keeps the bytes of odd spacing and casing exactly', async () => {
    const odd =
      'HTTP/1.1 101 switching   PROTOCOLS\r\nupgrade:websocket\r\nConnection:   upgrade  \r\nsec-websocket-accept: abc=\r\n\r\n';
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    socket.write(Buffer.from(odd, 'latin1'));
    const head = await reading;
    expect(head.raw.subarray(0, head.headLength).toString('latin1')).toBe(odd);
    expect(head.headers.get('connection')).toEqual(['upgrade']);
  });

  it('stops reading at the end of the head and leaves later bytes in the stream', async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    socket.write(HEAD);
    await reading;
    expect(socket.listenerCount('data')).toBe(0);
    expect(socket.listenerCount('end')).toBe(0);
    expect(socket.listenerCount('error')).toBe(0);
    expect(socket.listenerCount('close')).toBe(0);
    expect(socket.isPaused()).toBe(true);
    socket.write('later');
    await tick();
    expect(socket.read()?.toString()).toBe('later');
  });

  it('fails with EOF when the backend closes before sending anything', async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    socket.end();
    await expect(reading).rejects.toThrow(/^EOF$/);
  });

  it('fails with unexpected EOF when the backend closes in the middle of the head', async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    socket.end('HTTP/1.1 101 Switching');
    await expect(reading).rejects.toThrow(/^unexpected EOF$/);
  });

  it('fails with unexpected EOF when the stream is destroyed without an end', async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    socket.write('HTTP/1.1');
    await tick();
    socket.destroy();
    await expect(reading).rejects.toThrow(/^unexpected EOF$/);
  });

  it("rejects with the socket's own error", async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await expect(reading).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('rejects a head larger than 1 MiB instead of buffering without bound', async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    const outcome = reading.then(
      () => undefined,
      (err: Error) => err,
    ); // it rejects while we still write
    socket.write('HTTP/1.1 101 OK\r\n');
    let written = 0;
    for (let i = 0; i < 1100 && socket.listenerCount('data') > 0; i++) {
      socket.write(`X-Filler-${i}: ${'a'.repeat(1000)}\r\n`);
      written++;
      await tick();
    }
    expect(MAX_HEAD).toBe(1024 * 1024);
    expect((await outcome)?.message).toBe('malformed HTTP response: header too large');
    // It gave up as soon as it held more than 1 MiB, not at the end of what was sent.
    expect(written).toBeGreaterThan(1024);
    expect(written).toBeLessThan(1060);
  });

  it("accepts a head of 200 KiB, far beyond Node's own 16 KiB limit", async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    const big = `HTTP/1.1 101 Switching Protocols\r\nX-Big: ${'b'.repeat(200 * 1024)}\r\n\r\n`;
    await feed(socket, [
      big.slice(0, 70_000),
      big.slice(70_000, 140_000),
      big.slice(140_000) + 'tunnel',
    ]);
    const head = await reading;
    expect(head.headLength).toBe(big.length);
    expect(head.raw.toString('latin1')).toBe(big + 'tunnel');
  });

  it('copies a head that arrives in many small chunks once, not once per chunk', async () => {
    // Concatenating every chunk with all the earlier ones copies n²/2 chunks' worth: about 2 GB here.
    const concat = jest.spyOn(Buffer, 'concat');
    try {
      const socket = new PassThrough();
      const reading = readResponseHead(socket);
      const line = `X-Filler: ${'a'.repeat(244)}\r\n`; // 256 bytes
      socket.write('HTTP/1.1 101 OK\r\n');
      for (let i = 0; i < 4000; i++) socket.write(line);
      socket.write('\r\n');
      const head = await reading;
      expect(head.headLength).toBe(17 + 4000 * 256 + 2);
      const copied = concat.mock.results.reduce(
        (sum, result) => sum + (result.value as Buffer).length,
        0,
      );
      expect(copied).toBeLessThanOrEqual(2 * head.raw.length);
    } finally {
      concat.mockRestore();
    }
  });

  it("rejects a malformed head with the parser's message", async () => {
    const socket = new PassThrough();
    const reading = readResponseHead(socket);
    socket.write('garbage\r\n\r\n');
    await expect(reading).rejects.toThrow('malformed HTTP response "garbage"');
  });
});
