import { BANG, DASH, GT } from './bytes.js';

/**
 * Whether the `>` at `gt` ends the comment whose text starts at `text` (just after `<!--`). By
 * the comment states (HTML Standard 13.2.5.43-52) it does when it comes first (`<!-->`), after one
 * dash (`<!--->`), or after `--` or `--!` inside the comment; `<!--` met inside changes nothing.
 */
export function endsComment(bytes: Buffer, gt: number, text: number): boolean {
  if (gt === text) return true;
  if (gt === text + 1) return bytes[text] === DASH;
  if (bytes[gt - 1] === DASH) return bytes[gt - 2] === DASH;
  return (
    gt >= text + 3 && bytes[gt - 1] === BANG && bytes[gt - 2] === DASH && bytes[gt - 3] === DASH
  );
}

/** The index just past the `>` that ends a comment, searched from `from` up to `end`; -1 if none. */
export function commentEnd(bytes: Buffer, from: number, end: number, text: number): number {
  for (let gt = bytes.indexOf(GT, from); gt >= 0 && gt < end; gt = bytes.indexOf(GT, gt + 1))
    if (endsComment(bytes, gt, text)) return gt + 1;
  return -1;
}

/** What follows `<!` (HTML Standard 13.2.5.42, markup declaration open). */
export const Declaration = { COMMENT: 0, DOCTYPE: 1, CDATA: 2, BOGUS: 3, MORE: 4 } as const;
export type Declaration = (typeof Declaration)[keyof typeof Declaration];

/** Whether `bytes` at `at` start with `word`, in any case when `anyCase`: 1, 0, or -1 if they end first. */
function startsWith(bytes: Buffer, at: number, word: string, anyCase: boolean): 1 | 0 | -1 {
  for (let k = 0; k < word.length; k++) {
    if (at + k >= bytes.length) return -1;
    const b = anyCase ? bytes[at + k]! | 0x20 : bytes[at + k]!;
    if (b !== word.charCodeAt(k)) return 0;
  }
  return 1;
}

/** The declaration whose `<!` ends at `at`; MORE when the bytes end before it can be told. */
export function declarationAt(bytes: Buffer, at: number): Declaration {
  const found = (match: 1 | 0 | -1, kind: Declaration): Declaration =>
    match === 1 ? kind : match === 0 ? Declaration.BOGUS : Declaration.MORE;
  if (at >= bytes.length) return Declaration.MORE;
  const first = bytes[at]!;
  if (first === DASH) return found(startsWith(bytes, at, '--', false), Declaration.COMMENT);
  if ((first | 0x20) === 0x64)
    return found(startsWith(bytes, at, 'doctype', true), Declaration.DOCTYPE);
  if (first === 0x5b) return found(startsWith(bytes, at, '[CDATA[', false), Declaration.CDATA);
  return Declaration.BOGUS;
}
