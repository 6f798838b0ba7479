import { DASH, GT, LT, SLASH, isAlpha, wordAt } from './bytes.js';

/**
 * Script data that `<!--` has escaped, and the double-escaped part inside it that a `<script`
 * opens (HTML Standard 13.2.5.15-30). `-->` ends either; in the escaped part only an end tag
 * `</script` ends the script, in the double-escaped part `</script` returns to the escaped part.
 * The scanner keeps `dashes` (the `-` just before the scan point) across chunks.
 */
export const Escape = { NONE: 0, ESCAPED: 1, DOUBLE: 2 } as const;
export type Escape = (typeof Escape)[keyof typeof Escape];

/** What a `<` inside escaped script data leads to. */
export const Lead = { TEXT: -2, MORE: -1 } as const;

/**
 * At the `<` at `lt` in escaped script data of kind `escape`: END_TAG (as `1`) for `</script`,
 * the index past `<script`'s delimiter to switch escapes (`escape` then flips), `Lead.TEXT` for
 * nothing, `Lead.MORE` when the bytes end first.
 */
export function escapedLt(bytes: Buffer, lt: number, escape: Escape): number {
  if (lt + 1 >= bytes.length) return Lead.MORE;
  const next = bytes[lt + 1]!;
  if (next === SLASH) {
    const match = wordAt(bytes, lt + 2, 'script');
    if (match !== 1) return match === -1 ? Lead.MORE : Lead.TEXT;
    return escape === Escape.ESCAPED ? 1 : lt + 9;
  }
  if (escape === Escape.DOUBLE || !isAlpha(next)) return Lead.TEXT;
  const match = wordAt(bytes, lt + 1, 'script');
  return match === 1 ? lt + 8 : match === -1 ? Lead.MORE : Lead.TEXT;
}

/**
 * Scans escaped script data from `from` to `end` for its first `-->` or `<`: returns the index of
 * the `<`, `end` when there is neither, or the bitwise complement of the index past `-->`.
 * `state.dashes` counts the `-` just before the scan point, and is left so for the next chunk.
 */
export function scanEscaped(
  bytes: Buffer,
  from: number,
  end: number,
  state: { dashes: number },
): number {
  let dashes = state.dashes;
  for (let i = from; i < end; i++) {
    const b = bytes[i]!;
    if (b === DASH) dashes++;
    else if (b === GT && dashes >= 2) return ~(i + 1);
    else if (b === LT) return ((state.dashes = 0), i);
    else dashes = 0;
  }
  state.dashes = dashes;
  return end;
}
