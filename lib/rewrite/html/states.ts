// The scanner's states: HTML Standard 13.2.5, only those that decide where tokens and values are.
export const DATA = 0;
export const TAG_OPEN = 1;
export const END_TAG_OPEN = 2;
export const TAG_NAME = 3;
export const BEFORE_ATTR = 4;
export const ATTR_NAME = 5;
export const AFTER_ATTR = 6;
export const BEFORE_VALUE = 7;
export const VALUE_DQ = 8;
export const VALUE_SQ = 9;
export const VALUE_UNQ = 10;
export const AFTER_VALUE = 11;
export const SELF_CLOSING = 12;
export const DECLARATION = 13;
export const COMMENT = 14;
export const UNTIL_GT = 15;
export const CDATA = 16;
export const CHAR_REF = 17;
export const RCDATA = 18;
export const RAWTEXT = 19;
export const SCRIPT = 20;
export const PLAINTEXT = 21;

/** The state after a start tag, by feedback.ts's `TextMode`. */
export const TEXT_STATES = [DATA, RCDATA, RAWTEXT, SCRIPT, PLAINTEXT];

/** A state's answer when the bytes end before it can tell what comes next. */
export const WAIT = -1;

/**
 * The longest token (a tag with its attributes, a comment, a doctype, a CDATA section outside SVG
 * and MathML, a numeric character reference): a longer one stops the rewriting, and the rest of
 * the body passes as it came (docs/rewriting.md, "Limits").
 */
export const MAX_PENDING = 256 * 1024;
