import { MAX_LINE, MessageEnd } from '../../lib/upgrade/message-end.js';

function headers(entries: Record<string, string | string[]>): Map<string, string[]> {
  return new Map(
    Object.entries(entries).map(([name, value]) => [name, ([] as string[]).concat(value)]),
  );
}

/**
 * Feeds `chunks` in order; returns how many bytes belonged to the message, or -1 when the
 * message had not ended by the last chunk.
 */
function consumed(end: MessageEnd, chunks: Buffer[]): number {
  let total = 0;
  for (const chunk of chunks) {
    const used = end.feed(chunk);
    if (used !== -1) return total + used;
    total += chunk.length;
  }
  return -1;
}

const bytes = (text: string): Buffer[] =>
  [...Buffer.from(text, 'latin1')].map((b) => Buffer.from([b]));

describe('MessageEnd', () => {
  describe('with Content-Length', () => {
    it('ends after exactly that many bytes, wherever the chunks split', () => {
      const end = new MessageEnd(400, headers({ 'content-length': '10' }), 'GET');
      expect(end.done).toBe(false);
      expect(end.feed(Buffer.from('some '))).toBe(-1);
      expect(end.done).toBe(false);
      expect(end.feed(Buffer.from('dataHTTP/1.1 200 OK'))).toBe(5);
      expect(end.done).toBe(true);
      expect(end.feed(Buffer.from('more'))).toBe(0);
    });

    it('ends on the byte that completes it when fed byte by byte', () => {
      expect(
        consumed(
          new MessageEnd(500, headers({ 'content-length': '9' }), 'GET'),
          bytes('some dataGET /there'),
        ),
      ).toBe(9);
    });

    it('is done with the head alone for Content-Length: 0', () => {
      const end = new MessageEnd(400, headers({ 'content-length': '0' }), 'GET');
      expect(end.done).toBe(true);
      expect(end.feed(Buffer.from('x'))).toBe(0);
    });

    it('reads until close when Content-Length is not a number', () => {
      const end = new MessageEnd(400, headers({ 'content-length': '5, 5' }), 'GET');
      expect(end.feed(Buffer.alloc(100))).toBe(-1);
      expect(end.done).toBe(false);
    });
  });

  describe('without a body', () => {
    it.each([
      ['a HEAD request', 400, 'HEAD'],
      ['204', 204, 'GET'],
      ['304', 304, 'GET'],
      ['a 1xx', 103, 'GET'],
    ])(
      'is done with the head alone for %s, whatever Content-Length says',
      (_name, status, method) => {
        const end = new MessageEnd(
          status as number,
          headers({ 'content-length': '42', 'transfer-encoding': 'chunked' }),
          method as string,
        );
        expect(end.done).toBe(true);
        expect(end.feed(Buffer.from('GET /there HTTP/1.1\r\n\r\n'))).toBe(0);
      },
    );
  });

  describe('chunked', () => {
    const body =
      '5;name=value;other="q;x"\r\nhello\r\n' +
      'A\r\n\r\n\r\n0\r\n\r\n01\r\n' + // data that looks like framing
      '0;last=1\r\nTrailer-One: 1\r\nTrailer-Two: two\r\n\r\n';
    const after = 'GET /there HTTP/1.1\r\nHost: x\r\n\r\n';

    it('ends after the trailers when the whole message arrives in one chunk', () => {
      const end = new MessageEnd(500, headers({ 'transfer-encoding': 'chunked' }), 'GET');
      expect(end.feed(Buffer.from(body + after, 'latin1'))).toBe(body.length);
      expect(end.done).toBe(true);
    });

    it('ends on the last byte of the trailers when fed byte by byte', () => {
      const end = new MessageEnd(500, headers({ 'transfer-encoding': 'chunked' }), 'GET');
      expect(consumed(end, bytes(body + after))).toBe(body.length);
      expect(end.done).toBe(true);
    });

    it('ends at the same byte for every two-chunk split', () => {
      const all = Buffer.from(body + after, 'latin1');
      for (let split = 1; split < all.length; split++) {
        const end = new MessageEnd(500, headers({ 'transfer-encoding': 'chunked' }), 'GET');
        expect([split, consumed(end, [all.subarray(0, split), all.subarray(split)])]).toEqual([
          split,
          body.length,
        ]);
      }
    });

    it('ends right after the last chunk when there are no trailers', () => {
      const message = '3\r\nabc\r\n0\r\n\r\n';
      const end = new MessageEnd(400, headers({ 'transfer-encoding': 'chunked' }), 'GET');
      expect(consumed(end, bytes(message + 'zzz'))).toBe(message.length);
    });

    it('accepts bare LF line ends and upper-case hex sizes', () => {
      const message = 'B\nhello world\n0\n\n';
      const end = new MessageEnd(400, headers({ 'transfer-encoding': 'chunked' }), 'GET');
      expect(end.feed(Buffer.from(message + 'next'))).toBe(message.length);
    });

    it('is not done before the blank line that ends the trailers', () => {
      const end = new MessageEnd(400, headers({ 'transfer-encoding': 'chunked' }), 'GET');
      expect(end.feed(Buffer.from('0\r\nTrailer: x\r\n'))).toBe(-1);
      expect(end.done).toBe(false);
      expect(end.feed(Buffer.from('\r\n'))).toBe(2);
    });

    it('lets chunked win over Content-Length, and finds it as the last of several codings', () => {
      const message = '2\r\nok\r\n0\r\n\r\n';
      const both = new MessageEnd(
        400,
        headers({ 'transfer-encoding': 'chunked', 'content-length': '2' }),
        'GET',
      );
      expect(both.feed(Buffer.from(message))).toBe(message.length);
      const listed = new MessageEnd(
        400,
        headers({ 'transfer-encoding': ['gzip', 'Chunked'] }),
        'GET',
      );
      expect(listed.feed(Buffer.from(message))).toBe(message.length);
    });
  });

  describe('chunked framing lines', () => {
    const chunked = (): MessageEnd =>
      new MessageEnd(400, headers({ 'transfer-encoding': 'chunked' }), 'GET');

    it(`accepts lines of ${MAX_LINE} bytes, CR included, whether or not they arrive in pieces`, () => {
      const size = '1;ext=' + 'x'.repeat(MAX_LINE - 7) + '\r\n';
      const trailer = 'T: ' + 'y'.repeat(MAX_LINE - 4) + '\r\n';
      const message = size + 'a\r\n0\r\n' + trailer + '\r\n';
      expect(consumed(chunked(), [Buffer.from(message, 'latin1')])).toBe(message.length);
      const pieces = [...message.matchAll(/[^]{1,100}/g)].map(([piece]) =>
        Buffer.from(piece, 'latin1'),
      );
      expect(consumed(chunked(), pieces)).toBe(message.length);
    });

    it.each([
      ['a chunk-size line', ''],
      ['a chunk-size line with an extension', '5;name='],
      ["the line after a chunk's data", '1\r\na'],
      ['a trailer line', '0\r\nTrailer: '],
    ])(`refuses %s longer than ${MAX_LINE} bytes, fed at once or in pieces`, (_name, start) => {
      const long = Buffer.from(start + 'f'.repeat(MAX_LINE + 1), 'latin1');
      expect(() => chunked().feed(long)).toThrow(RangeError);
      const end = chunked();
      expect(() => {
        for (let at = 0; at < long.length; at += 1000) end.feed(long.subarray(at, at + 1000));
      }).toThrow(`chunked framing line longer than ${MAX_LINE} bytes`);
    });

    it('holds no more than one line however many bytes a line that never ends brings', () => {
      const end = chunked();
      const piece = Buffer.alloc(1000, 'f');
      let fed = 0;
      expect(() => {
        for (; fed < 1_000_000; fed += piece.length) end.feed(piece);
      }).toThrow(RangeError);
      expect(fed).toBeLessThanOrEqual(MAX_LINE);
    });
  });

  describe('close-delimited', () => {
    it('never ends before the connection does without Content-Length or chunked', () => {
      const end = new MessageEnd(502, headers({}), 'GET');
      expect(end.done).toBe(false);
      for (const chunk of bytes('0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'))
        expect(end.feed(chunk)).toBe(-1);
      expect(end.done).toBe(false);
    });

    it('reads until close when chunked is not the final coding, Content-Length notwithstanding (RFC 9112 section 6.3)', () => {
      const end = new MessageEnd(
        400,
        headers({ 'transfer-encoding': 'chunked, gzip', 'content-length': '3' }),
        'GET',
      );
      expect(end.feed(Buffer.from('abcdef'))).toBe(-1);
      expect(end.done).toBe(false);
    });
  });
});
