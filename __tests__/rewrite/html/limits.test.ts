// The limits on what the HTML rewriter holds (docs/rewriting.md, "Limits"): an unfinished token
// of more than MAX_PENDING bytes of source, a tag with more than MAX_ATTRIBUTES attributes, or
// foreign content nested more than MAX_DEPTH deep stops the rewriting, and the rest of the body
// passes byte for byte. Below them, rewriting is unchanged; text, however long, never stops it.
import { once } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  MAX_PENDING,
  createHtmlRewriter,
  type RewriteAttribute,
} from '../../../lib/rewrite/html/rewriter.js';
import { MAX_DEPTH } from '../../../lib/rewrite/html/feedback.js';
import { MAX_ATTRIBUTES, MAX_NAME, Tag } from '../../../lib/rewrite/html/tag.js';

/** A full garbage collection, so that what is measured is live memory (`--expose-gc` at run time). */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/**
 * Runs `doc` (bytes as latin1) through a rewriter in chunks of `chunkSize`; returns the output as
 * latin1. The chunks are written straight to the rewriter, which transforms each as it comes, so
 * that a run in 1-byte chunks costs the rewriter's work and not a stream's per chunk.
 */
async function run(doc: string, fn: RewriteAttribute, chunkSize = 64 * 1024): Promise<string> {
  const bytes = Buffer.from(doc, 'latin1');
  const rewriter = createHtmlRewriter(fn);
  const out: Buffer[] = [];
  rewriter.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = once(rewriter, 'end');
  for (let at = 0; at < bytes.length; at += chunkSize)
    rewriter.write(bytes.subarray(at, at + chunkSize));
  rewriter.end();
  await ended;
  return Buffer.concat(out).toString('latin1');
}

/** `actual` is `expected`; on a difference, shows where it starts, not megabytes of both. */
function expectSame(actual: string, expected: string): void {
  if (actual === expected) return;
  let at = 0;
  while (actual[at] === expected[at]) at++;
  const around = (text: string): string =>
    JSON.stringify(text.slice(Math.max(0, at - 40), at + 40));
  expect({ length: actual.length, from: at, text: around(actual) }).toEqual({
    length: expected.length,
    from: at,
    text: around(expected),
  });
}

/** A rewrite function answering `/new`, and the values it was called with. */
function recorder(): { fn: RewriteAttribute; values: string[] } {
  const values: string[] = [];
  return { values, fn: (value) => (values.push(value), '/new') };
}

const BEFORE = '<a href="/before">';
const AFTER = '<a href="/after">';
/** Text runs a little longer than MAX_PENDING: were text held like a token, they would stop the rewriting. */
const RUN = MAX_PENDING + 64 * 1024;
const LONG = 'x'.repeat(RUN);

/** Tokens that grow until they end, `n` bytes long or a little more: past MAX_PENDING, the rewriting stops. */
const STOPPING: [string, (n: number) => string][] = [
  ['a tag name', (n) => `<a${'x'.repeat(n)} href="/in">`],
  ['an end tag name', (n) => `</a${'x'.repeat(n)}>`],
  ['an attribute name', (n) => `<a ${'x'.repeat(n)}=1 href="/in">`],
  ['a listed attribute value', (n) => `<a href="/${'x'.repeat(n)}">`],
  ['an unquoted listed value', (n) => `<img src=/${'x'.repeat(n)} alt=x>`],
  ['an attribute value not listed', (n) => `<a title="${'x'.repeat(n)}" href="/in">`],
  ['the MathML encoding value', (n) => `<math><annotation-xml encoding="${'x'.repeat(n)}">`],
  ['an attribute list', (n) => `<a ${'b '.repeat(n / 2)}href="/in">`],
  ['a doctype name', (n) => `<!DOCTYPE ${'x'.repeat(n)}>`],
  ['a doctype public identifier', (n) => `<!DOCTYPE html PUBLIC "${'x'.repeat(n)}">`],
  ['a doctype system identifier', (n) => `<!DOCTYPE html SYSTEM '${'x'.repeat(n)}'>`],
  ['a comment', (n) => `<!--${'x'.repeat(n)}-->`],
  ['a comment of line ends', (n) => `<!--${'\r\n'.repeat(n / 2)}-->`],
  ['a bogus comment', (n) => `<?${'x'.repeat(n)}>`],
  ['a bogus comment from a bad end tag', (n) => `</ ${'x'.repeat(n)}>`],
  ['CDATA outside foreign content', (n) => `<![CDATA[${'x'.repeat(n)}]]>`],
  ['a numeric character reference in text', (n) => `&#${'0'.repeat(n)}65;`],
  ['a hexadecimal character reference in a value', (n) => `<a href="/&#x${'0'.repeat(n)}41;">`],
];

/** Text, however long, is read in runs and never stops the rewriting. */
const CONTINUING: [string, string][] = [
  ['text', `<p>${LONG}</p>`],
  ['whitespace', `<p>${' \n'.repeat(RUN / 2)}</p>`],
  ['NUL characters', `<p>${'\0'.repeat(RUN)}</p>`],
  ['character references in text', `<p>${'&amp;'.repeat(RUN / 5)}</p>`],
  ['an ampersand and letters', `<p>&${'a'.repeat(RUN)}</p>`],
  ['script', `<script>${LONG}</script>`],
  ['an escaped script', `<script><!--${LONG}--></script>`],
  ['style', `<style>${LONG}</style>`],
  ['textarea', `<textarea>${'&lt;'.repeat(RUN / 4)}</textarea>`],
  ['CDATA in SVG', `<svg><![CDATA[${LONG}]]></svg>`],
];

describe('createHtmlRewriter limits', () => {
  it.each(STOPPING)('passes the rest through past %s of MAX_PENDING bytes', async (_kind, make) => {
    const { fn, values } = recorder();
    const token = make(MAX_PENDING);
    expectSame(await run(BEFORE + token + AFTER, fn), '<a href="/new">' + token + AFTER);
    expect(values).toEqual(['/before']);
  });

  it('lets a token of MAX_PENDING bytes through, and stops at one byte more', async () => {
    const { fn, values } = recorder();
    const comment = (n: number): string => `<!--${'x'.repeat(n - 7)}-->`;
    expectSame(
      await run(BEFORE + comment(MAX_PENDING) + AFTER, fn),
      '<a href="/new">' + comment(MAX_PENDING) + '<a href="/new">',
    );
    expectSame(
      await run(BEFORE + comment(MAX_PENDING + 1) + AFTER, fn),
      '<a href="/new">' + comment(MAX_PENDING + 1) + AFTER,
    );
    expect(values).toEqual(['/before', '/after', '/before']);
  });

  it.each([
    ['1-byte chunks', 1],
    ['100-byte chunks', 100],
    ['one chunk', Infinity],
  ])(
    'stops at the same byte in %s',
    async (_name, size) => {
      const { fn } = recorder();
      const token = `<!--${'x'.repeat(MAX_PENDING - 4)}-->`;
      expectSame(await run(BEFORE + token + AFTER, fn, size), '<a href="/new">' + token + AFTER);
    },
    60_000,
  );

  it('reads a long token that trickles in a byte at a time without copying what it holds', async () => {
    // parse5 copied its whole window on each write: 256 KiB of writes of one byte took 30 s. The
    // scanner resumes where it stopped, and the bytes held are copied only when the window moves.
    const copy = jest.spyOn(Buffer.prototype, 'copy');
    const copyWithin = jest.spyOn(Buffer.prototype, 'copyWithin');
    try {
      const { fn } = recorder();
      const token = `<!--${'x'.repeat(MAX_PENDING - 7)}-->`;
      expectSame(
        await run(BEFORE + token + AFTER, fn, 1),
        '<a href="/new">' + token + '<a href="/new">',
      );
      const moved = [...copy.mock.calls, ...copyWithin.mock.calls].length;
      // One copy a byte into the window, a few per token; not one per byte held.
      expect(moved).toBeLessThan(4 * (BEFORE.length + token.length + AFTER.length));
      const bytes = copyWithin.mock.calls.reduce(
        (n, [, start, end]) => n + (Number(end) - Number(start)),
        0,
      );
      expect(bytes).toBeLessThan(4 * MAX_PENDING);
    } finally {
      copy.mockRestore();
      copyWithin.mockRestore();
    }
  }, 60_000);

  it.each(CONTINUING)('keeps rewriting after 320 KiB of %s', async (_kind, token) => {
    const { fn, values } = recorder();
    expectSame(
      await run(BEFORE + token + AFTER, fn),
      '<a href="/new">' + token + '<a href="/new">',
    );
    expect(values).toEqual(['/before', '/after']);
  });

  it('keeps line ends right when the window is read in pieces', async () => {
    const doc = '<a\r\nhref="/a\r\nb">\r\n\r\n'.repeat(500) + '<!--\r\n-->\r<img src=/c\r>\n';
    const { fn } = recorder();
    const whole = await run(doc, fn);
    expect(whole).toBe(doc.replace(/\/a\r\nb|\/c/g, '/new'));
    for (const size of [1, 2, 3]) expect(await run(doc, fn, size)).toBe(whole);
  });

  it('rewrites a link in a token just under MAX_PENDING, whatever the chunks', async () => {
    const token = `<a title="${'x'.repeat(MAX_PENDING - 100)}" href="/in">`;
    for (const size of [7, 1000, 64 * 1024]) {
      const { fn, values } = recorder();
      const out = await run(BEFORE + token + AFTER, fn, size);
      expectSame(out, '<a href="/new">' + token.replace('/in', '/new') + '<a href="/new">');
      expect(values).toEqual(['/before', '/in', '/after']);
    }
  }, 60_000);

  it('decodes a long value full of character references', async () => {
    const { fn, values } = recorder();
    const tag = `<a href="/${'&amp;&#x41;\r\n'.repeat(10_000)}">`;
    expectSame(await run(tag, fn, 1000), '<a href="/new">');
    expect(values).toEqual([`/${'&A\n'.repeat(10_000)}`]);
  });

  it('rewrites a tag of MAX_ATTRIBUTES attributes, and passes one more through', async () => {
    const attrs = (n: number): string =>
      Array.from({ length: n }, (_, i) => ` a${i}=${i}`).join('');
    const { fn, values } = recorder();
    const full = `<a${attrs(MAX_ATTRIBUTES - 1)} href="/in">`;
    expectSame(
      await run(BEFORE + full + AFTER, fn),
      '<a href="/new">' + full.replace('/in', '/new') + '<a href="/new">',
    );
    const over = `<a${attrs(MAX_ATTRIBUTES)} href="/in">`;
    expectSame(await run(BEFORE + over + AFTER, fn), '<a href="/new">' + over + AFTER);
    expect(values).toEqual(['/before', '/in', '/after', '/before']);
  });

  it('does not count repeated attributes, which are dropped', async () => {
    const { fn, values } = recorder();
    const tag = `<a href="/in"${' x=1 X=2'.repeat(MAX_ATTRIBUTES * 2)}>`;
    expectSame(await run(tag + AFTER, fn), tag.replace('/in', '/new') + '<a href="/new">');
    expect(values).toEqual(['/in', '/after']);
  });

  it('finishes a tag of 80,000 attributes, reading each name at most once', async () => {
    // parse5 scanned the attributes so far for each new one: 80,000 attributes took 24 s.
    const attributes = jest.spyOn(Tag.prototype, 'attribute');
    try {
      const tag = `<p${Array.from({ length: 80_000 }, (_, i) => ` a${i}`).join('')}>`;
      const { fn, values } = recorder();
      expectSame(await run(BEFORE + tag + AFTER, fn), '<a href="/new">' + tag + AFTER);
      expect(values).toEqual(['/before']);
      // One call per attribute kept (and one for /before's href), then the one past the cap.
      expect(attributes.mock.calls.length).toBe(MAX_ATTRIBUTES + 2);
    } finally {
      attributes.mockRestore();
    }
  });

  it('follows foreign content MAX_DEPTH deep, and passes deeper markup through', async () => {
    const { fn, values } = recorder();
    const deep = '<svg>'.repeat(MAX_DEPTH) + '<a href="/in"></a>';
    expectSame(await run(deep + AFTER, fn), deep.replace('/in', '/new') + '<a href="/new">');
    const deeper = '<svg>'.repeat(MAX_DEPTH + 1) + '<a href="/in">';
    expectSame(await run(BEFORE + deeper + AFTER, fn), '<a href="/new">' + deeper + AFTER);
    expect(values).toEqual(['/in', '/after', '/before']);
  });

  it('cuts long names without mistaking them for short ones', async () => {
    const { fn, values } = recorder();
    const long = 'n'.repeat(MAX_NAME * 2);
    // Two names alike in their first MAX_NAME chars, a tag name that starts as a listed one, and
    // a raw-text tag name made long: none is read as what it starts with.
    const doc = `<a ${long}1=1 ${long}2=2 href="/in"><a${long} href="/no"><script${long}><a href="/read">`;
    expectSame(await run(doc, fn), doc.replace('/in', '/new').replace('/read', '/new'));
    expect(values).toEqual(['/in', '/read']);
  });

  it.each(STOPPING)('holds little more than the source of an unfinished %s', async (kind, make) => {
    const gc = collector();
    // Just short of the limit, so that each rewriter holds all it may.
    const doc = Buffer.from(
      (BEFORE + make(MAX_PENDING)).slice(0, BEFORE.length + MAX_PENDING - 1),
      'latin1',
    );
    await new Promise(setImmediate); // streams destroyed before are released only then
    gc();
    const start = process.memoryUsage().heapUsed;
    // Two rewriters average out what the collector leaves behind; the bound is per rewriter.
    const rewriters = Array.from({ length: 2 }, () =>
      createHtmlRewriter(recorder().fn).on('data', () => {}),
    );
    for (const rewriter of rewriters) {
      for (let at = 0; at < doc.length; at += 16 * 1024)
        rewriter.write(doc.subarray(at, at + 16 * 1024));
    }
    await new Promise(setImmediate);
    gc();
    const held = (process.memoryUsage().heapUsed - start) / rewriters.length;
    for (const rewriter of rewriters) rewriter.destroy();
    if (process.env.HTML_REWRITE_MEMORY)
      process.stdout.write(`${kind}: ${(held / 1024).toFixed(0)} KiB held\n`);
    // parse5 alone gathered names and values a char at a time, some 33 bytes per char: 8 MiB each.
    expect(held).toBeLessThan(4 * MAX_PENDING);
  });
});
