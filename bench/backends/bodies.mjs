// The bodies the backend serves, shared with the checks that verify them through each contender.

/** Bytes of the small GET body (`x` repeated). */
export const SMALL_BYTES = 100;

/** Bytes of the large GET body. */
export const LARGE_BYTES = 1 << 20;

/** The large GET body: a fixed, non-repeating-looking pattern, so a reordered or cut body shows. */
export function largeBody() {
  const body = Buffer.allocUnsafe(LARGE_BYTES);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 8)) & 0xff;
  return body;
}
