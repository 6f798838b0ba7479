// The byte scanner against parse5's tokenizer (oracle.ts): on hand-picked documents and on a
// generated corpus cut into random chunks, the rewriter must make the calls parse5 finds and give
// the output parse5's locations give, byte for byte.
import { once } from 'node:events';
import * as plainTags from '../../../lib/rewrite/html/plain-tags.js';
import { linkBytes, type LinkBytes } from '../../../lib/rewrite/html/link-bytes.js';
import { createHtmlRewriter, type RewriteAttribute } from '../../../lib/rewrite/html/rewriter.js';
import { createLinkRewrite, linkPlan } from '../../../lib/rewrite/rewrite-link.js';
import { reference } from './oracle.js';

/** Runs `doc` through a rewriter in the chunks `cuts` gives; resolves with the output and calls. */
async function scan(
  doc: Buffer,
  rewrite: RewriteAttribute,
  cuts: number[],
  links?: LinkBytes,
): Promise<{ output: Buffer; calls: [string, string, string][] }> {
  const calls: [string, string, string][] = [];
  const rewriter = createHtmlRewriter((value, tag, attr) => {
    calls.push([value, tag, attr]);
    return rewrite(value, tag, attr);
  }, links);
  const out: Buffer[] = [];
  rewriter.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = once(rewriter, 'end');
  let at = 0;
  for (const cut of [...cuts, doc.length]) {
    if (cut > at) rewriter.write(doc.subarray(at, cut));
    at = Math.max(at, cut);
  }
  rewriter.end();
  await ended;
  return { output: Buffer.concat(out), calls };
}

/** A rewrite that changes every root-relative value, so that each splice is seen. */
const prefixed: RewriteAttribute = (value) => (value.startsWith('/') ? `/p${value}` : undefined);

/** Mulberry32: a small deterministic generator, so that a failure can be run again. */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Pieces of markup that decide where tokens and values are, to be put together at random. */
const PIECES = [
  '<a href="/x">',
  "<A HREF='/y?a=1&amp;b=2'>",
  '<a href=/u class=c>',
  '<a  href \t=\n "/w"  >',
  '<a href>',
  '<a href=>',
  '<a href="/one" href="/two" HREF=/three>',
  '<img src="/i" alt=">" src=/dup/>',
  '<img/src="/slash">',
  '<a href="/q"<b>',
  '<a b="/y" <a href="/z">',
  '<a =href="/eq" href="/after-eq">',
  '<form action="/f"><input formaction=\'/fa\' src=/s usemap="#m">',
  '<object data="/d" classid="/c" codebase=/cb usemap="/um">',
  '<link rel=x href="/l&#x2F;&#47;&lt;">',
  '<a href="/&#128512;&notin;&notit;&amp">',
  '<a href="\r\n/cr\rlf\0">',
  '<a href="/é/ü">',
  '</a>',
  '</a href="/end-tag">',
  '</>',
  '</ x>',
  '</3>',
  '< a href="/not">',
  '<3 <a href="/after-lt">',
  '<!-- <a href="/c1"> -->',
  '<!--><a href="/after-empty-comment">',
  '<!---><a href="/after-dash-comment">',
  '<!-- a --!><a href="/after-bang">',
  '<!-- <!-- nested --> <a href="/after-nested">',
  '<!---!> still <a href="/in-comment"> -->',
  '<!-',
  '<!x <a href="/bogus">>',
  '<?pi <a href="/pi"> ?>',
  '<!DOCTYPE html PUBLIC "-//W3C//DTD >" "x">',
  '<!doctype html>',
  '<![CDATA[ <a href="/cdata"> ]]>',
  '<script>if (a < b) x("<a href=\'/s\'>")</script>',
  '<script><!-- <a href="/e"> --></script>',
  '<script><!--<script> </script> <a href="/d"> --></script>',
  '<script><!--<script></script --></script>',
  '<script><!-- -- > </scriptx> --></script >',
  '<SCRIPT type=module></Script/>',
  '<script src="/s.js"/>',
  '<style>a[href="/x"]{} </styl> </style>',
  '<title>&lt;a href="/t"&gt; </title foo=">">',
  '<textarea><a href="/ta"></textarea>',
  '<xmp><a href="/xmp"></xmp>',
  '<iframe src="/frame"><a href="/inner"></iframe>',
  '<noscript><a href="/ns"></noscript>',
  '<noembed></noembed><noframes><a href="/nf"></noframes>',
  '<svg><a href="/svg-a"/><style><a href="/svg-style"></style></svg>',
  '<svg><![CDATA[ <a href="/svg-cdata"> ]]></svg>',
  '<svg><foreignObject><style><a href="/fo"></style></foreignObject></svg>',
  '<svg><desc><title><a href="/x"></title></desc></svg>',
  '<svg><p><style><a href="/p"></style>',
  '<svg><font color=red><title><a href="/font"></title>',
  '<svg><font><title><a href="/font2"></title></font></svg>',
  '<math><mi><textarea><a href="/mi"></textarea></mi></math>',
  '<math><annotation-xml encoding="Text/HTML"><style><a href="/ax"></style></annotation-xml></math>',
  '<math><annotation-xml encoding="svg"><style><a href="/ax2"></style></annotation-xml></math>',
  '<svg/><style><a href="/svg-self"></style>',
  'text & more &amp; &#65; &#x; &#',
  ' \n\t',
  'é€😀',
  '\0',
  '>',
  '<',
  '"',
  "'",
  '=',
  '-->',
  ']]>',
  // Plain tags (plain-tags.ts), read without the states.
  '<td class="x>y" data-a=\'1\' b=c d>',
  '<div a=1/><span/><br/ >',
  '<P =x "y"=z \'w\' / >',
  '<tr/ a><tr//>',
  '<td a="&amp;" b=&#47; c=\'&#x3c;\'>&#60;',
  '</td b="<a href=/in-end-tag>">',
  `<ul${' x'.repeat(40)}><a href="/after-many">`,
  '<abbr title="<a href=/t>"><s><u>',
  '<td\tvalign=top\n>text &lt; more<td >',
  '<sVg-x a=">"><math-y b=\'/\'>',
  '<TD A=">" HREF="/td">',
  // Character references in values, by the attribute rules.
  '<a href="/r?a=1&ampc=2&amp=3&lt=4&lt;&notit;&notin;&not &amp;amp;&AMP;&Amp;">',
  "<a href='/n&#x110000;&#xD800;&#128;&#0;&#9;&#13;&#x0d;&#65&#x41g&#;&#x;'>",
  '<a href=/u&copy=1&copy;&copy&#47;x>',
  '<img src="/c&\r\n&#13;\r&am\rp;&\0amp;">',
];

function generate(next: (n: number) => number): Buffer {
  let doc = '';
  for (let k = 4 + next(40); k > 0; k--) {
    const piece = PIECES[next(PIECES.length)]!;
    // Sometimes only part of a piece, so that tokens are cut off anywhere.
    doc += next(6) === 0 ? piece.slice(0, next(piece.length + 1)) : piece;
  }
  if (next(20) === 0) doc += '<plaintext><a href="/pt">';
  return Buffer.from(doc);
}

function cutsFor(length: number, next: (n: number) => number): number[] {
  const count = next(4) === 0 ? length : next(8);
  if (count === length) return Array.from({ length }, (_, i) => i + 1); // a byte at a time
  return Array.from({ length: count }, () => next(length + 1)).sort((a, b) => a - b);
}

/** Checks `doc` cut at `cuts` against the reference; returns the number of rewrite calls. */
async function expectSame(doc: Buffer, cuts: number[]): Promise<number> {
  const expected = reference(doc, prefixed);
  const actual = await scan(doc, prefixed, cuts);
  const where = JSON.stringify({ doc: doc.toString('latin1'), cuts });
  expect({ where, calls: actual.calls }).toEqual({ where, calls: expected.calls });
  expect({ where, output: actual.output.toString('latin1') }).toEqual({
    where,
    output: expected.output.toString('latin1'),
  });
  return expected.calls.length;
}

describe('createHtmlRewriter against parse5', () => {
  it.each(PIECES.map((piece) => [piece]))(
    'agrees on %j, whole and a byte at a time',
    async (piece) => {
      const doc = Buffer.from(`<p>${piece}<a href="/after">`);
      await expectSame(doc, []);
      await expectSame(
        doc,
        Array.from({ length: doc.length }, (_, i) => i + 1),
      );
    },
  );

  it('reads the tags before a `&` that ends a chunk once', async () => {
    // The bytes end just after the `&`: the scan waits there, not back before the tags.
    const doc = Buffer.from('<p><a href="/x"><td a=1>&#60;<b><img src="/y">&');
    await expectSame(doc, [doc.indexOf('&#60;') + 1]);
    await expectSame(doc, [doc.length - 1]);
  });

  it('agrees on 2,000 generated documents cut into random chunks', async () => {
    const plain = jest.spyOn(plainTags, 'plainTag');
    const next = random(0x5eed);
    let cases = 0;
    let calls = 0;
    try {
      for (; cases < 2000; cases++) {
        const doc = generate(next);
        calls += await expectSame(doc, cutsFor(doc.length, next));
      }
      expect(cases).toBe(2000);
      // The corpus reaches the values: most documents have links to rewrite.
      expect(calls).toBeGreaterThan(5 * cases);
      // Plain tags are read both ways: whole in one loop, and by the states when cut or not plain.
      const read = plain.mock.results.filter(({ value }) => (value as number) >= 0).length;
      expect(read).toBeGreaterThan(cases); // 3,793 at this seed
      expect(plain.mock.calls.length - read).toBeGreaterThan(5 * cases); // 24,330
    } finally {
      plain.mockRestore();
    }
  }, 20_000);

  it('gives the same output with the link rules read from bytes (link-bytes.ts)', async () => {
    const c = {
      sourceHost: 'b:80',
      requestHost: 'b:80',
      target: { scheme: '', host: '', pathPrepend: '/proxy' },
    };
    const plan = linkPlan(c);
    const rewrite = createLinkRewrite(c, plan);
    const bytes = linkBytes(plan);
    let inserted = 0;
    const links: LinkBytes = (...args) => {
      const insert = bytes(...args);
      if (insert) inserted++;
      return insert;
    };
    const next = random(0xb17e5);
    for (let cases = 0; cases < 500; cases++) {
      const doc = generate(next);
      const cuts = cutsFor(doc.length, next);
      const expected = reference(doc, (value) => rewrite(value));
      const actual = await scan(doc, (value) => rewrite(value), cuts, links);
      const where = JSON.stringify({ doc: doc.toString('latin1'), cuts });
      expect({ where, output: actual.output.toString('latin1') }).toEqual({
        where,
        output: expected.output.toString('latin1'),
      });
    }
    expect(inserted).toBeGreaterThan(1000); // 2,506 at this seed
  }, 20_000);
});
