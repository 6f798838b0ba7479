import { once } from 'node:events';
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

async function readAll(stream: UndiciBody): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(stream, 'end');
  return Buffer.concat(chunks).toString();
}

describe('UndiciBody', () => {
  it('hands a body that has all arrived unread over whole, once, without ending the stream', () => {
    const { body: b } = body();
    b.deliver(Buffer.from('ab'));
    b.deliver(Buffer.from('cd'));
    b.completed();
    expect(b.complete).toBe(true);
    expect(b.takeWhole()?.toString()).toBe('abcd');
    expect(b.takeWhole()).toBeUndefined();
    expect(b.readableEnded).toBe(false);
  });

  it('gives null for an empty body, as read() does, and nothing before the end', () => {
    const { body: b } = body();
    expect(b.takeWhole()).toBeUndefined();
    b.completed();
    expect(b.takeWhole()).toBeNull();
  });

  it('streams what it held, then the rest, once someone reads; no longer whole then', async () => {
    const { body: b, resumes } = body();
    b.deliver(Buffer.from('held '));
    const all = readAll(b);
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
    expect(await readAll(b)).toBe('whole');
  });

  it('pauses undici past the high-water mark while nobody reads, as the stream buffer would', () => {
    const { body: b } = body();
    const chunk = Buffer.alloc(b.readableHighWaterMark / 2);
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

  it('gives nothing whole to the relay once someone listens for its chunks', () => {
    const { body: b } = body();
    b.deliver(Buffer.from('x'));
    b.completed();
    b.on('data', () => {});
    expect(b.takeWhole()).toBeUndefined();
  });
});

/** A sink that records what it is given; `open` decides what its `write` answers. */
function recorder(open = true): BodySink & { got: string[]; ended: number; open: boolean } {
  return {
    got: [],
    ended: 0,
    open,
    write(chunk) {
      this.got.push(chunk.toString());
      return this.open;
    },
    end() {
      this.ended++;
    },
  };
}

describe('UndiciBody.sinkTo', () => {
  it('hands what it held at once, then each chunk as it comes, then the end; the stream never ends', async () => {
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
    await new Promise(setImmediate);
    expect(b.readableEnded).toBe(false);
    expect(b.takeWhole()).toBeUndefined();
  });

  it('pauses undici at the chunk after the sink refused one, and resume() asks undici for more, past the stream', () => {
    const { body: b, resumes } = body();
    const sink = recorder(false);
    b.sinkTo(sink);
    expect(b.deliver(Buffer.from('refused'))).toBe(true);
    expect(b.deliver(Buffer.from('next'))).toBe(false);
    expect(sink.got).toEqual(['refused', 'next']);
    b.resume();
    expect(resumes()).toBe(1);
    expect(b.readableFlowing).toBeNull();
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
      expect(b.deliver(Buffer.alloc(b.readableHighWaterMark))).toBe(false);
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

  it('refuses, and takes nothing, once the stream is in use or destroyed', async () => {
    const read = body();
    read.body.deliver(Buffer.from('streamed'));
    const all = readAll(read.body);
    const sink = recorder();
    expect(read.body.sinkTo(sink)).toBe(false);
    read.body.completed();
    expect(await all).toBe('streamed');
    expect(sink.got).toEqual([]);

    const flowing = body();
    flowing.body.resume();
    expect(flowing.body.sinkTo(recorder())).toBe(false);

    const destroyed = body();
    destroyed.body.destroy();
    expect(destroyed.body.sinkTo(recorder())).toBe(false);
  });

  it('takes a body that was only paused, which no listener would ever read', () => {
    const { body: b } = body();
    b.deliver(Buffer.from('held'));
    b.pause();
    const sink = recorder();
    expect(b.sinkTo(sink)).toBe(true);
    expect(sink.got).toEqual(['held']);
  });

  it('aborts the request when destroyed before its end, and then gives the sink nothing more', async () => {
    const { body: b, aborted } = body();
    const errors: Error[] = [];
    b.on('error', (err) => errors.push(err));
    const sink = recorder();
    b.sinkTo(sink);
    b.destroy(new Error('client gone'));
    expect(aborted()?.message).toBe('client gone');
    expect(b.deliver(Buffer.from('late'))).toBe(false);
    b.completed();
    expect(sink.got).toEqual([]);
    expect(sink.ended).toBe(0);
    await new Promise(setImmediate);
    expect(errors.map((err) => err.message)).toEqual(['client gone']);
  });
});
