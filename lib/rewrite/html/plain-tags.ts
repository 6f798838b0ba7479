import { DQUOTE, EQUALS, GT, LT, SLASH, SQUOTE, find } from './bytes.js';
import { TEXT_MODES } from './feedback.js';
import { NameMap, nameSet, type NameSet } from './names.js';
import type { Tag } from './tag.js';

/**
 * The tags of a page in HTML content, read in one loop over the bytes each, without the states:
 * plain tags (an end tag, or a start tag of a name nothing reads: `tr`, `td`, `div`...), which the
 * tree feedback ignores and whose attributes nobody reads, so only their end is found; and listed
 * tags whose content stays data (`a`, `img`...), whose attributes go to tag.ts as whole-tag.ts
 * gives them. The loop follows whole-tag.ts's attribute states. Anything else (a raw text
 * element, `svg`, a tag cut by the end of the bytes, more attributes than tag.ts counts unnamed)
 * is left to the scanner's states, which read it from its `<` again.
 */

/** Byte classes, as bits: whitespace, what ends a name (whitespace, `/`, `>`), `=`, `>`. */
const SPACE = 1;
const ENDS_NAME = 2;
const IS_EQUALS = 4;
const IS_GT = 8;
const CLASS = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x09, 0x0c, 0x0d]) CLASS[c] = SPACE | ENDS_NAME;
CLASS[SLASH] = ENDS_NAME;
CLASS[GT] = ENDS_NAME | IS_GT;
CLASS[EQUALS] = IS_EQUALS;

/**
 * Attributes a tag read here may have: as many as tag.ts counts before it reads their names, so
 * that no tag reaches its limit (`MAX_ATTRIBUTES`) here.
 */
const MAX_ATTRIBUTES_HERE = 32;

/** Names up to this long are told from their length and first letter; no name that matters is longer. */
const LONGEST = 31;

/** {@link plainTag}'s answer for a start tag whose name may matter. */
export const MAY_MATTER = -2;

/**
 * The start tag names that are not plain (lower-case letters), by length and first letter: at
 * `(length << 5) | (first & 31)`, 1 if one of `names` may be the name there.
 */
export function nameTable(names: Iterable<string>): Uint8Array {
  const table = new Uint8Array((LONGEST + 1) << 5);
  for (const name of names) table[(name.length << 5) | (name.charCodeAt(0) & 31)] = 1;
  return table;
}

/** A listed tag read here: its name and listed attributes, as tag.ts's `open` takes them. */
export interface ListedTag {
  readonly name: string;
  readonly attributes: ReadonlySet<string>;
  readonly lookup: NameSet;
}

const LISTED = new WeakMap<ReadonlyMap<string, ReadonlySet<string>>, NameMap<ListedTag>>();

/** The tags of `listed` read here, found by name: those after which content stays data. */
export function listedTags(listed: ReadonlyMap<string, ReadonlySet<string>>): NameMap<ListedTag> {
  let tags = LISTED.get(listed);
  if (tags === undefined) {
    const data = [...listed].filter(([name]) => !TEXT_MODES.has(name));
    tags = new NameMap(
      data.map(([name, attributes]) => [name, { name, attributes, lookup: nameSet(attributes) }]),
    );
    LISTED.set(listed, tags);
  }
  return tags;
}

/**
 * The index of the first `<` in `bytes[from, stop)`, or `stop`. A short run of text is searched
 * here; a longer one with `indexOf`, whose call costs more than a few bytes read here.
 */
export function findLt(bytes: Buffer, from: number, stop: number): number {
  const near = Math.min(stop, from + 32);
  let i = from;
  while (i < near && bytes[i] !== LT) i++;
  if (i < near || i === stop) return i;
  const lt = bytes.indexOf(LT, i);
  return lt < 0 || lt > stop ? stop : lt;
}

/**
 * The plain tag at the `<` at `lt`, read in HTML content: the index past its `>`; MAY_MATTER for a
 * start tag of a name in `matter` (a {@link nameTable}, which lets a few plain ones through too);
 * -1 when it is neither or does not end before `bound`.
 */
export function plainTag(bytes: Buffer, lt: number, bound: number, matter: Uint8Array): number {
  let i = lt + 1;
  const endTag = bytes[i] === SLASH;
  if (endTag) i++;
  if (i >= bound || ((bytes[i]! | 0x20) - 0x61) >>> 0 > 25) return -1; // not a letter
  const name = i;
  for (i++; i < bound && (CLASS[bytes[i]!]! & ENDS_NAME) === 0; i++);
  if (i >= bound) return -1;
  const length = i - name;
  if (!endTag && length <= LONGEST && matter[(length << 5) | (bytes[name]! & 31)] === 1)
    return MAY_MATTER;
  return attributesEnd(bytes, i, bound, undefined, 0);
}

/** The end of the name of the tag whose `<` is at `lt`, once {@link plainTag} has found it. */
export function nameEnd(bytes: Buffer, lt: number): number {
  let i = lt + 2;
  while ((CLASS[bytes[i]!]! & ENDS_NAME) === 0) i++;
  return i;
}

/**
 * From the end of a tag's name: the index past its `>`, or -1 as above. Each attribute goes to
 * `tag`, when given, as whole-tag.ts hands it (`offset` is the source offset of `b[0]`).
 */
export function attributesEnd(
  b: Buffer,
  i: number,
  bound: number,
  tag: Tag | undefined,
  offset: number,
): number {
  for (let c = 0, count = 0; ;) {
    while (i < bound && (CLASS[(c = b[i]!)]! & SPACE) !== 0) i++;
    if (i >= bound) return -1;
    if (c === GT) return i + 1;
    if (c === SLASH) {
      if (i + 1 >= bound) return -1;
      if (b[i + 1] === GT) return i + 2;
      i++; // not self-closing: the next byte is read before a name
      continue;
    }
    const name = i; // its first byte is the name's, even `=`
    for (i++; i < bound && (CLASS[(c = b[i]!)]! & (ENDS_NAME | IS_EQUALS)) === 0; i++);
    if (i >= bound || ++count > MAX_ATTRIBUTES_HERE) return -1;
    tag?.attribute(b, name, i, offset);
    while (i < bound && (CLASS[(c = b[i]!)]! & SPACE) !== 0) i++;
    if (i >= bound) return -1;
    if (c !== EQUALS) continue; // `/`, `>` or the next name: as before a name
    for (i++; i < bound && (CLASS[(c = b[i]!)]! & SPACE) !== 0; i++);
    if (i >= bound) return -1;
    const start = i;
    if (c === DQUOTE || c === SQUOTE) {
      i = find(b, c, i + 1, bound);
      if (i < 0) return -1;
      tag?.value(start + 1 + offset, i + offset, c === DQUOTE ? '"' : "'");
      i++;
    } else if (c === GT) {
      tag?.value(i + offset, i + offset, '');
      return i + 1;
    } else {
      while (i < bound && (CLASS[(c = b[i]!)]! & (SPACE | IS_GT)) === 0) i++;
      if (i >= bound) return -1;
      tag?.value(start + offset, i + offset, '');
    }
  }
}
