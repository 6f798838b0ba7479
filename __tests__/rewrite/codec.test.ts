import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import { codingOf, recode } from '../../lib/rewrite/codec.js';
import { waitFor } from '../helpers/wait.js';

/** The two bodies of apimachinery's TestRewriteResponse. */
const SHORT = Buffer.from('short body test');
const LONG = Buffer.from('long body test'.repeat(4097));

interface Form {
  header: string;
  compress: (body: Buffer) => Buffer;
  decompress: (body: Buffer) => Buffer;
  /** Recognizes this form's own bytes (and not the other deflate form's); brotli has no magic number. */
  looksLike?: (body: Buffer) => boolean;
}

const isZlib = (b: Buffer): boolean => (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;

const FORMS: Record<string, Form> = {
  gzip: {
    header: 'gzip',
    compress: (b) => zlib.gzipSync(b),
    decompress: (b) => zlib.gunzipSync(b),
    looksLike: (b) => b[0] === 0x1f && b[1] === 0x8b,
  },
  'raw deflate (Go, Kubernetes)': {
    header: 'deflate',
    compress: (b) => zlib.deflateRawSync(b, { level: 9 }),
    decompress: (b) => zlib.inflateRawSync(b),
    looksLike: (b) => !isZlib(b),
  },
  'zlib deflate (RFC 9110)': {
    header: 'deflate',
    compress: (b) => zlib.deflateSync(b),
    decompress: (b) => zlib.inflateSync(b),
    looksLike: isZlib,
  },
  br: {
    header: 'br',
    compress: (b) => zlib.brotliCompressSync(b),
    decompress: (b) => zlib.brotliDecompressSync(b),
  },
};

/** Chunks of `size` bytes (the whole body at once for 0). */
function chunks(body: Buffer, size: number): Buffer[] {
  if (size === 0 || body.length === 0) return body.length === 0 ? [] : [body];
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) out.push(body.subarray(i, i + size));
  return out;
}

function collector(): { sink: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  return { sink, bytes: () => Buffer.concat(parts) };
}

/** decode -> middle -> encode, with what came out of the decoder and out of the encoder. */
async function roundTrip(
  header: string | undefined,
  body: Buffer,
  chunkSize = 0,
): Promise<{ plain: Buffer; encoded: Buffer }> {
  const codec = recode(header);
  if (!codec) throw new Error(`no codec for ${header}`);
  const seen = collector();
  const middle = new PassThrough();
  middle.on('data', (chunk: Buffer) => seen.sink.write(chunk));
  const out = collector();
  await pipeline(
    Readable.from(chunks(body, chunkSize)),
    codec.decode,
    middle,
    codec.encode,
    out.sink,
  );
  return { plain: seen.bytes(), encoded: out.bytes() };
}

describe('codingOf', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['gzip', 'gzip'],
    [' GZip ', 'gzip'],
    ['x-gzip', 'gzip'],
    ['Deflate', 'deflate'],
    ['BR', 'br'],
  ])('reads %j as %s', (header, coding) => {
    expect(codingOf(header)).toBe(coding);
  });

  it.each(['gzip, br', 'gzip,gzip', 'compress', 'zstd', 'bogus'])(
    'does not understand %j',
    (header) => {
      expect(codingOf(header)).toBeNull();
    },
  );
});

describe('recode', () => {
  it.each(['zstd', 'compress', 'gzip, br', 'identity, gzip'])(
    'returns null for %j so the body passes untouched',
    (header) => {
      expect(recode(header)).toBeNull();
    },
  );

  it('makes new streams for every body', () => {
    const a = recode('gzip')!;
    const b = recode('gzip')!;
    expect(a.decode).not.toBe(b.decode);
    expect(a.encode).not.toBe(b.encode);
  });

  describe.each(Object.entries(FORMS))('%s', (_name, form) => {
    it.each([
      ['short body test', SHORT],
      ['long body test x 4097', LONG],
    ])('decodes and re-encodes T13 %s in the form received', async (_label, body) => {
      const compressed = form.compress(body);
      const { plain, encoded } = await roundTrip(form.header, compressed);
      expect(plain.equals(body)).toBe(true);
      if (form.looksLike) expect(form.looksLike(encoded)).toBe(true);
      expect(form.decompress(encoded).equals(body)).toBe(true);
    });

    it('copes with the compressed body arriving one byte at a time', async () => {
      const { plain, encoded } = await roundTrip(form.header, form.compress(LONG), 1);
      expect(plain.equals(LONG)).toBe(true);
      if (form.looksLike) expect(form.looksLike(encoded)).toBe(true);
      expect(form.decompress(encoded).equals(LONG)).toBe(true);
    });

    it('passes an empty body (HEAD, 204, 304) through as empty, without error', async () => {
      const { plain, encoded } = await roundTrip(form.header, Buffer.alloc(0));
      expect(plain.length).toBe(0);
      expect(encoded.length).toBe(0);
    });

    it('fails the decoder on a body that is not in that coding', async () => {
      const codec = recode(form.header)!;
      const body = Buffer.from('\x07\xff this is not compressed at all, not even a little');
      await expect(
        pipeline(Readable.from([body]), codec.decode, new PassThrough(), collector().sink),
      ).rejects.toMatchObject({
        code: expect.stringMatching(/^(Z_|ERR_)/),
      });
    });
  });

  it('keeps raw deflate raw and zlib deflate zlib-wrapped', async () => {
    const raw = await roundTrip('deflate', zlib.deflateRawSync(LONG, { level: 9 }));
    const wrapped = await roundTrip('deflate', zlib.deflateSync(LONG));
    expect(() => zlib.inflateSync(raw.encoded)).toThrow();
    expect(zlib.inflateRawSync(raw.encoded).equals(LONG)).toBe(true);
    expect(zlib.inflateSync(wrapped.encoded).equals(LONG)).toBe(true);
  });

  it('re-encodes raw deflate at best compression, as Kubernetes does', async () => {
    const body = Buffer.from(
      Array.from({ length: 3000 }, (_, i) => `<li>${(i * 7919) % 1000}</li>`).join(''),
    );
    const { encoded } = await roundTrip('deflate', zlib.deflateRawSync(body, { level: 1 }));
    expect(encoded.equals(zlib.deflateRawSync(body, { level: 9 }))).toBe(true);
  });

  it.each([undefined, 'identity', ' Identity '])(
    'passes the bytes of %j through as they are',
    async (header) => {
      // T13 as upstream runs it: no encoding header, so compressed bytes are copied unchanged.
      const gz = zlib.gzipSync(LONG);
      const { plain, encoded } = await roundTrip(header, gz, 100);
      expect(plain.equals(gz)).toBe(true);
      expect(encoded.equals(gz)).toBe(true);
    },
  );

  it('passes an empty identity body through', async () => {
    const { encoded } = await roundTrip(undefined, Buffer.alloc(0));
    expect(encoded.length).toBe(0);
  });

  it('holds back decoding while the reader is slow, so a small compressed body cannot fill memory', async () => {
    const size = 16 * 1024 * 1024;
    const bomb = zlib.gzipSync(Buffer.alloc(size, 'a'));
    const { decode } = recode('gzip')!;
    decode.end(bomb);
    let peak = 0;
    let total = 0;
    // A reader taking a pause after every chunk; what waits meanwhile is buffered in `decode`.
    decode.on('data', (chunk: Buffer) => {
      total += chunk.length;
      peak = Math.max(peak, decode.readableLength);
      decode.pause();
      void sleep(1).then(() => decode.resume());
    });
    await new Promise<void>((resolve, reject) => decode.once('end', resolve).once('error', reject));
    expect(total).toBe(size);
    expect(peak).toBeLessThan(1024 * 1024);
  });

  /** 16 MiB of one letter in a few KiB, in each coding: a decompression bomb. */
  const BOMBS: Record<string, Buffer> = {
    gzip: zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, 'a'), { level: 1 }),
    deflate: zlib.deflateRawSync(Buffer.alloc(16 * 1024 * 1024, 'a'), { level: 1 }),
    br: zlib.brotliCompressSync(Buffer.alloc(16 * 1024 * 1024, 'a'), {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 },
    }),
  };

  it.each(Object.keys(BOMBS))(
    'inflates a %s bomb only as far as the buffers when the reader stops',
    async (header) => {
      const bomb = BOMBS[header]!;
      let inflated = 0;
      const source = Readable.from(chunks(bomb, 256));
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          inflated += chunk.length;
          callback(null, chunk);
        },
      });
      // A reader that takes nothing: backpressure alone must stop the decoder.
      const stuck = new Writable({ write() {} });
      const { decode } = recode(header)!;
      void pipeline(source, decode, counter, stuck).catch(() => {});
      // What the decoder has put out: passed on, or waiting in its buffer.
      const out = (): number => inflated + decode.readableLength;
      let last = -1;
      let steady = 0;
      await waitFor(() => {
        steady = out() === last ? steady + 1 : 0;
        last = out();
        return steady >= 10;
      }, 'the decoder to stop');
      source.destroy();
      // Some 16 KiB buffers on the way; without backpressure the 16 MiB would all come out.
      expect(out()).toBeLessThan(256 * 1024);
    },
  );
});
