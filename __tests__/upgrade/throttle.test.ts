import { setImmediate as tick } from 'node:timers/promises';
import { Throttle } from '../../lib/upgrade/throttle.js';

// Fake clocks for setTimeout and performance.now; the stream machinery's nextTick, microtasks
// and setImmediate stay real so that pushed bytes are delivered.
beforeEach(() => {
  jest.useFakeTimers({
    doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate'],
  });
});
afterEach(() => {
  jest.useRealTimers();
});

/** A throttle with everything it emits collected in `out`. */
function collect(bytesPerSec: number): { throttle: Throttle; out: Buffer[]; size(): number } {
  const throttle = new Throttle(bytesPerSec);
  const out: Buffer[] = [];
  throttle.on('data', (chunk: Buffer) => out.push(chunk));
  return { throttle, out, size: () => out.reduce((n, chunk) => n + chunk.length, 0) };
}

/** Moves the fake clock on and lets the stream deliver what it pushed. */
async function advance(ms: number): Promise<void> {
  jest.advanceTimersByTime(ms);
  await tick();
  await tick();
}

describe('Throttle', () => {
  it('passes round(rate / 10) bytes per 100 ms window, the first window at once', async () => {
    const { throttle, size } = collect(10_000);
    throttle.write(Buffer.alloc(2_500, 1));
    await tick();
    expect(size()).toBe(1_000);
    await advance(99);
    expect(size()).toBe(1_000);
    await advance(1);
    expect(size()).toBe(2_000);
    await advance(100);
    expect(size()).toBe(2_500);
    throttle.destroy();
  });

  it('passes at least one byte per window for a tiny rate', async () => {
    const { throttle, size } = collect(4); // round(0.4) is 0: at least 1
    throttle.write(Buffer.from('abc'));
    await tick();
    expect(size()).toBe(1);
    await advance(100);
    expect(size()).toBe(2);
    await advance(100);
    expect(size()).toBe(3);
    throttle.destroy();
  });

  it('keeps the bytes and their order across windows and chunks', async () => {
    const { throttle, out } = collect(50);
    const input = Buffer.from('the quick brown fox jumps over the lazy dog');
    throttle.write(input.subarray(0, 10));
    throttle.write(input.subarray(10));
    for (let i = 0; i < 20; i++) await advance(100);
    expect(Buffer.concat(out).toString()).toBe(input.toString());
    expect(Math.max(...out.map((chunk) => chunk.length))).toBe(5);
    throttle.destroy();
  });

  it("does not save up an idle tunnel's allowance for a burst", async () => {
    const { throttle, size } = collect(10_000);
    await advance(5_000);
    throttle.write(Buffer.alloc(3_000));
    await tick();
    expect(size()).toBe(1_000);
    await advance(100);
    expect(size()).toBe(2_000);
    throttle.destroy();
  });

  it('holds a chunk with one timer, and calls back only once all of it has passed', async () => {
    const { throttle, size } = collect(10_000);
    let written = false;
    throttle.write(Buffer.alloc(3_500), () => {
      written = true;
    });
    await tick();
    expect(jest.getTimerCount()).toBe(1);
    for (let window = 1; window <= 3; window++) {
      expect(written).toBe(false);
      await advance(100);
      expect(jest.getTimerCount()).toBe(window < 3 ? 1 : 0);
    }
    expect(size()).toBe(3_500);
    expect(written).toBe(true);
    throttle.destroy();
  });

  it('applies backpressure: a writer that keeps writing is told to wait', async () => {
    const { throttle } = collect(1_000);
    let accepted = 0;
    while (throttle.write(Buffer.alloc(1_000)) && accepted < 1_000) accepted++;
    expect(accepted).toBeLessThan(1_000);
    throttle.destroy();
  });

  it('clears its timer when destroyed', async () => {
    const { throttle, size } = collect(1_000);
    throttle.write(Buffer.alloc(1_000));
    await tick();
    expect(jest.getTimerCount()).toBe(1);
    throttle.destroy();
    expect(jest.getTimerCount()).toBe(0);
    await advance(1_000);
    expect(size()).toBe(100);
  });

  it('passes exactly the rate over many windows when the timers are on time', async () => {
    const { throttle, size } = collect(64 * 1024);
    const quota = Math.round((64 * 1024) / 10);
    throttle.write(Buffer.alloc(256 * 1024));
    await tick();
    for (let window = 1; window <= 10; window++) {
      await advance(100);
      expect(size()).toBe(quota * (window + 1));
    }
    throttle.destroy();
  });
});
