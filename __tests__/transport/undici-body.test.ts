import { once } from 'node:events';
import { type Readable, getDefaultHighWaterMark } from 'node:stream';
import type { BodySink } from '../../lib/transport/backend-response.js';
import { UndiciBody } from '../../lib/transport/undici-body.js';

/** A body over a fake undici request: counts resumes, records the abort. */
function body(): { body: UndiciBody; resumes: () => number; aborted: () => Error | undefined } {
  let resumes = 0;
  let aborted: Error | undefined;
  const made = new UndiciBody(
    () => resumes++,
    (err) => (aborted = err),
  );
  return { body: made, resumes: () => resumes, aborted: () => aborted };
}

/** What a stream stops undici past while nobody takes the body. */
const HELD = getDefaultHighWaterMark(false);

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(stream, 'end');
  return Buffer.concat(chunks).toString();
}

describe('UndiciBody', () => {
  it('hands a body that has all arrived untouched over whole, once, and then has no stream to give', async () => {
    const { body: b } = body();
    b.deliver(Buffer.from('ab'));
    b.deliver(Buffer.from('cd'));
    b.completed();
    expect(b.complete).toBe(true);
    expect(b.takeWhole()?.toString()).toBe('abcd');
    expect(b.takeWhole()).toBeUndefined();
    expect(await readAll(b.stream())).toBe('');
  });

  it('gives null for an empty body, as read() does, and nothing before the end', () => {
    const { body: b } = body();
    expect(b.takeWhole()).toBeUndefined();
    b.completed();
    expect(b.takeWhole()).toBeNull();
  });

  it('streams what it held, then the rest, once someone asks for a stream; no longer whole then', async () => {
    const { body: b, resumes } = body();
    b.deliver(Buffer.from('held '));
    const stream = b.stream();
    expect(b.stream()).toBe(stream);
    const all = readAll(stream);
    await new Promise(setImmediate);
    expect(b.takeWhole()).toBeUndefined();
    expect(resumes()).toBeGreaterThan(0);
    b.deliver(Buffer.from('streamed'));
    b.completed();
    expect(await all).toBe('held streamed');
  });

  it('streams a held body that had ended to its end', async () => {
    const { body: b } = body();
    b.deliver(Buffer.from('whole'));
    b.completed();
    expect(await readAll(b.stream())).toBe('whole');
  });

  it("asks undici for nothing from a stream's read once the body has ended or was destroyed", () => {
    const ended = body();
    const stream = ended.body.stream();
    ended.body.deliver(Buffer.from('x'));
    const before = ended.resumes();
    ended.body.completed();
    ended.body.more(); // what the stream's _read does
    expect(ended.resumes()).toBe(before);
    const destroyed = body();
    destroyed.body.stream();
    destroyed.body.destroy();
    destroyed.body.more();
    expect(destroyed.resumes()).toBe(0);
    stream.destroy();
  });

  it('pauses undici past the high-water mark while nobody takes it, as the stream buffer would', () => {
    const { body: b } = body();
    const chunk = Buffer.alloc(HELD / 2);
    expect(b.deliver(chunk)).toBe(true);
    expect(b.deliver(chunk)).toBe(false);
  });

  it('aborts the request when destroyed before its end', () => {
    const { body: b, aborted } = body();
    b.deliver(Buffer.from('x'));
    b.destroy();
    expect(aborted()).toBeInstanceOf(Error);
  });

  it('gives nothing whole once destroyed, and then aborts nothing: the request is over', () => {
    const { body: b, aborted } = body();
    b.deliver(Buffer.from('x'));
    b.completed();
    b.destroy();
    expect(b.takeWhole()).toBeUndefined();
    expect(aborted()).toBeUndefined();
  });

  it('aborts the request when its stream is destroyed before the end, and not after', () => {
    const open = body();
    open.body.stream().destroy();
    expect(open.aborted()).toBeInstanceOf(Error);
    const ended = body();
    ended.body.completed();
    ended.body.stream().destroy();
    expect(ended.aborted()).toBeUndefined();
  });

  it("gives a stream made after undici failed undici's error, and aborts nothing more", async () => {
    const { body: b, aborted } = body();
    b.deliver(Buffer.from('x'));
    b.failed(new Error('backend reset'));
    expect(b.takeWhole()).toBeUndefined();
    const stream = b.stream();
    const [err] = (await once(stream, 'error')) as [Error];
    expect(err.message).toBe('backend reset');
    expect(aborted()).toBeUndefined();
  });

  it("destroys its stream with undici's error", async () => {
    const { body: b } = body();
    const stream = b.stream();
    b.failed(new Error('backend reset'));
    const [err] = (await once(stream, 'error')) as [Error];
    expect(err.message).toBe('backend reset');
  });
});

/** A sink that records what it is given; `open` decides what its `write` answers. */
function recorder(
  open = true,
): BodySink & { got: string[]; ended: number; failed: string[]; open: boolean } {
  return {
    got: [],
    ended: 0,
    failed: [],
    open,
    write(chunk) {
      this.got.push(chunk.toString());
      return this.open;
    },
    end() {
      this.ended++;
    },
    fail(err) {
      this.failed.push(err.message);
    },
  };
}

describe('UndiciBody.sinkTo', () => {
  it('hands what it held at once, then each chunk as it comes, then the end', () => {
    const { body: b } = body();
    b.deliver(Buffer.from('a'));
    b.deliver(Buffer.from('b'));
    const sink = recorder();
    expect(b.sinkTo(sink)).toBe(true);
    expect(sink.got).toEqual(['a', 'b']);
    expect(b.deliver(Buffer.from('c'))).toBe(true);
    expect(sink.ended).toBe(0);
    b.completed();
    expect(sink.got).toEqual(['a', 'b', 'c']);
    expect(sink.ended).toBe(1);
    expect(b.takeWhole()).toBeUndefined();
  });

  it('pauses undici at the chunk after the sink refused one, and resume() asks undici for more', () => {
    const { body: b, resumes } = body();
    const sink = recorder(false);
    b.sinkTo(sink);
    expect(b.deliver(Buffer.from('refused'))).toBe(true);
    expect(b.deliver(Buffer.from('next'))).toBe(false);
    expect(sink.got).toEqual(['refused', 'next']);
    b.resume();
    expect(resumes()).toBe(1);
    sink.open = true;
    expect(b.deliver(Buffer.from('taken'))).toBe(true);
    sink.open = false;
    expect(b.deliver(Buffer.from('refused again'))).toBe(true);
    expect(b.deliver(Buffer.from('after it'))).toBe(false);
  });

  it('takes all the socket holds within a resume, even from a full sink', () => {
    const answers: boolean[] = [];
    const made = new UndiciBody(
      () => {
        for (const part of ['socket', 'buffer', 'held'])
          answers.push(made.deliver(Buffer.from(part)));
      },
      () => {},
    );
    made.sinkTo(recorder(false));
    made.resume();
    expect(answers).toEqual([true, true, true]);
    expect(made.deliver(Buffer.from('later'))).toBe(false);
  });

  it('resumes undici, paused on the held chunks, only when the sink took them all', () => {
    const held = (open: boolean): number => {
      const { body: b, resumes } = body();
      expect(b.deliver(Buffer.alloc(HELD))).toBe(false);
      b.sinkTo(recorder(open));
      return resumes();
    };
    expect(held(true)).toBe(1);
    expect(held(false)).toBe(0);
    const { body: full } = body();
    full.deliver(Buffer.from('x'));
    full.sinkTo(recorder(false));
    expect(full.deliver(Buffer.from('next'))).toBe(false);
    const { body: notPaused, resumes } = body();
    notPaused.deliver(Buffer.from('x'));
    notPaused.sinkTo(recorder(true));
    expect(resumes()).toBe(0);
  });

  it("asks undici for nothing more once the body has ended: its resume is the connection's", () => {
    const { body: b, resumes } = body();
    const sink = recorder(false);
    b.sinkTo(sink);
    b.completed();
    b.resume();
    expect(sink.ended).toBe(1);
    expect(resumes()).toBe(0);
  });

  it('ends the sink at once for a body that had ended unread but was not taken whole', () => {
    const { body: b } = body();
    b.completed();
    const sink = recorder();
    expect(b.sinkTo(sink)).toBe(true);
    expect(sink.ended).toBe(1);
  });

  it('refuses, and takes nothing, once a stream was made, or the body destroyed or failed', async () => {
    const read = body();
    read.body.deliver(Buffer.from('streamed'));
    const all = readAll(read.body.stream());
    const sink = recorder();
    expect(read.body.sinkTo(sink)).toBe(false);
    read.body.completed();
    expect(await all).toBe('streamed');
    expect(sink.got).toEqual([]);

    const destroyed = body();
    destroyed.body.destroy();
    expect(destroyed.body.sinkTo(recorder())).toBe(false);

    const failed = body();
    failed.body.failed(new Error('backend reset'));
    expect(failed.body.sinkTo(recorder())).toBe(false);
  });

  it('aborts the request when destroyed before its end, and then gives the sink nothing more', () => {
    const { body: b, aborted } = body();
    const sink = recorder();
    b.sinkTo(sink);
    b.destroy(new Error('client gone'));
    expect(aborted()?.message).toBe('client gone');
    expect(b.deliver(Buffer.from('late'))).toBe(false);
    b.completed();
    b.failed(new Error('aborted'));
    expect(sink.got).toEqual([]);
    expect(sink.ended).toBe(0);
    expect(sink.failed).toEqual([]);
  });

  it("tells the sink of undici's failure, once, and takes nothing after it", () => {
    const { body: b } = body();
    const sink = recorder();
    b.sinkTo(sink);
    b.deliver(Buffer.from('a'));
    b.failed(new Error('backend reset'));
    b.failed(new Error('again'));
    expect(b.deliver(Buffer.from('late'))).toBe(false);
    expect(sink.got).toEqual(['a']);
    expect(sink.failed).toEqual(['backend reset']);
  });
});
