import { copyBytes, viewOf } from './bytes.js';

const EMPTY = Buffer.alloc(0);

/**
 * The source bytes not yet passed on: `base` is the source offset of the first. A chunk is
 * scanned where it lies when nothing is held before it; otherwise it is copied after what is
 * held, in a buffer reused for the whole body. What is held is bounded by the caller (an
 * unfinished token and a little text before it), so this buffer is too.
 */
export class Window {
  base = 0;
  private bytes: Buffer = EMPTY;
  private length = 0;
  private store: Buffer = EMPTY;
  /** A DataView of `viewed`, made again when `bytes` is another Buffer. */
  private viewed: Buffer = EMPTY;
  private dataView = viewOf(EMPTY);

  /** Source offset just past the last byte held. */
  get end(): number {
    return this.base + this.length;
  }

  /** The bytes held; valid until the next `append` or `drop`. */
  view(): Buffer {
    return this.bytes.length === this.length ? this.bytes : this.bytes.subarray(0, this.length);
  }

  /** The bytes of the source range `[from, to)`, which must be held. */
  slice(from: number, to: number): Buffer {
    return this.bytes.subarray(from - this.base, to - this.base);
  }

  /**
   * Copies the source range `[from, to)`, which must be held, into `out` at `at` (`outView` is a
   * DataView of `out`); returns the count.
   */
  copy(from: number, to: number, out: Buffer, outView: DataView, at: number): number {
    if (this.viewed !== this.bytes) {
      this.viewed = this.bytes;
      this.dataView = viewOf(this.bytes);
    }
    return copyBytes(this.bytes, this.dataView, from - this.base, to - this.base, out, outView, at);
  }

  append(chunk: Buffer): void {
    if (this.length === 0) {
      this.bytes = chunk;
      this.length = chunk.length;
      return;
    }
    this.reserve(this.length + chunk.length);
    chunk.copy(this.bytes, this.length);
    this.length += chunk.length;
  }

  /** Forgets the bytes before source offset `to`. */
  drop(to: number): void {
    const gone = to - this.base;
    if (gone <= 0) return; // a long token being held: nothing moves, so a byte costs no copy
    this.base = to;
    if (gone >= this.length) {
      this.bytes = EMPTY;
      this.length = 0;
      return;
    }
    const rest = this.length - gone;
    if (this.bytes === this.store) this.store.copyWithin(0, gone, this.length);
    else {
      const from = this.bytes.subarray(gone, this.length);
      this.length = 0;
      this.reserve(rest);
      from.copy(this.store);
      this.bytes = this.store;
    }
    this.length = rest;
  }

  /** Makes `bytes` the store, with room for `size` bytes, keeping those held. */
  private reserve(size: number): void {
    if (this.bytes === this.store && this.store.length >= size) return;
    const store =
      this.store.length >= size
        ? this.store
        : Buffer.allocUnsafe(Math.max(size, 2 * this.store.length));
    if (this.bytes !== store) this.bytes.copy(store, 0, 0, this.length);
    this.store = store;
    this.bytes = store;
  }
}
