import { once } from 'node:events';
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
});
