import { Transform, type TransformCallback } from 'node:stream';

/** Kubernetes' limiter (mxk/go-flowrate) samples every 100 ms. */
const TICK = 100;

/**
 * Passes at most `bytesPerSec` bytes per second: `round(rate / 10)` bytes (at least 1) per 100 ms
 * window, the rest held until the next window with one timer, never a busy loop. Unused
 * allowance is not saved up, so an idle tunnel cannot burst. Destroying the stream clears the timer.
 */
export class Throttle extends Transform {
  private readonly quota: number;
  private allowance: number;
  private window = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(bytesPerSec: number) {
    super();
    this.quota = Math.max(1, Math.round(bytesPerSec / 10));
    this.allowance = this.quota;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pass(chunk, callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(err);
  }

  private pass(chunk: Buffer, callback: TransformCallback): void {
    const now = performance.now();
    if (now - this.window >= TICK) {
      this.window += Math.floor((now - this.window) / TICK) * TICK;
      this.allowance = this.quota;
    }
    const n = Math.min(this.allowance, chunk.length);
    if (n > 0) {
      this.push(chunk.subarray(0, n));
      this.allowance -= n;
    }
    if (n === chunk.length) {
      callback();
      return;
    }
    const rest = chunk.subarray(n);
    this.timer = setTimeout(() => this.pass(rest, callback), this.window + TICK - now);
  }
}
