import {
  SLOW,
  createLinkRewrite,
  fastLinkRewrite,
  linkPlan,
  slowLinkRewrite,
  type LinkContext,
} from '../../lib/rewrite/rewrite-link.js';
import { linkBytes } from '../../lib/rewrite/html/link-bytes.js';
import { attributeValue, encodeValue, type Quote } from '../../lib/rewrite/html/values.js';

/** mulberry32: a small seeded generator, so that the corpus is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  ...'abcXYZ09-_.~$&+,:;=@!()*\'" %<>[]^`{|}\\',
  '/',
  '/',
  '/',
  '//',
  '.',
  '..',
  '/./',
  '/../',
  '?',
  '#',
  '%20',
  '%2F',
  '%2f',
  '%zz',
  '%',
  'http:',
  'https://',
  'HTTP://',
  'mailto:',
  'javascript:',
  '//backend.example:8080',
  'backend.example:8080',
  '127.0.0.1:9',
  '[::1]:8080',
  '[fe80::1%25eth0]',
  'user:pw@',
  'é',
  '\u{1f600}',
  '\ud800',
  '\t',
  '\n',
  '\x7f',
  'proxy',
  'pods',
  'web-1',
  'ok.png',
];

/** A URL-ish value: a few pieces, often after a `/` so that absolute paths are common. */
function value(next: () => number): string {
  let out = next() < 0.6 ? '/' : '';
  const n = 1 + Math.floor(next() * 6);
  for (let k = 0; k < n; k++) out += PIECES[Math.floor(next() * PIECES.length)];
  return out;
}

const BACKEND = 'backend.example:8080';
const CONTEXTS: LinkContext[] = [
  ['', '', '/proxy', BACKEND],
  ['', '', '', BACKEND],
  ['', '', '/', BACKEND],
  ['', '', '/proxy/', BACKEND],
  ['', '', '/a/../b//c/.', BACKEND],
  ['', '', '/p q/é', BACKEND],
  ['', '', 'relative', BACKEND],
  ['', '', '/a?b', BACKEND], // a prefix with a decoded `%3F`
  ['', '', '/proxy', ''],
  ['http', 'client.example:3000', '/api/v1/namespaces/x/services/y/proxy', BACKEND],
  ['https', '', '/proxy', BACKEND],
  ['', 'client.example', '/proxy', '127.0.0.1:9'],
].map(([scheme, host, pathPrepend, requestHost]) => ({
  sourceHost: BACKEND,
  requestHost: requestHost!,
  target: { scheme: scheme!, host: host!, pathPrepend: pathPrepend! },
}));

const SHAPES = [
  '',
  '/',
  '#',
  '/#',
  '/a#',
  '/a?',
  '/a?#',
  '/a?b#c',
  '/a?bc',
  '/a?x=1&y="2"#top',
  '/pods/web-1',
  '/icons/ok.png',
  '/proxy',
  '/proxy/a',
  '/proxyx',
  '/a/',
  '//a',
  '/a//b',
  '/a/./b',
  '/a/..',
  '/.hidden',
  '/...',
  'a/b',
  'a:b',
  'a:/b',
  ':a',
  '*',
  'http://backend.example:8080/a',
  'mailto:x@y',
];

describe('the link fast path', () => {
  test.each(CONTEXTS.map((c, i) => [i, c] as const))(
    'gives what the full Go rules give, or defers to them (context %i)',
    (_i, c) => {
      const plan = linkPlan(c);
      const next = random(1400 + _i);
      const values = [...SHAPES, ...Array.from({ length: 1500 }, () => value(next))];
      const rewrite = createLinkRewrite(c);
      let decided = 0;
      for (const v of values) {
        const fast = fastLinkRewrite(v, plan);
        const slow = slowLinkRewrite(v, c);
        if (fast !== SLOW) {
          decided++;
          expect({ v, out: fast }).toEqual({ v, out: slow });
        }
        expect({ v, out: rewrite(v) }).toEqual({ v, out: slow });
      }
      // The corpus reaches the fast path often: the comparison is not an empty one.
      expect(decided).toBeGreaterThan(values.length / 4);
    },
  );

  test('rewrites the common shapes without the full rules', () => {
    const plan = linkPlan(CONTEXTS[0]!);
    expect(fastLinkRewrite('/pods/web-1', plan)).toBe('/proxy/pods/web-1');
    expect(fastLinkRewrite('/a/?q=1#top', plan)).toBe('/proxy/a/?q=1#top');
    expect(fastLinkRewrite('/proxy/a', plan)).toBeUndefined();
    expect(fastLinkRewrite('../a', plan)).toBeUndefined();
    expect(fastLinkRewrite('mailto:x@y', plan)).toBeUndefined();
    expect(fastLinkRewrite('http://b/a', plan)).toBe(SLOW);
    expect(fastLinkRewrite('/a%20b', plan)).toBe(SLOW);
  });
});

/** Whether `raw` can be a value quoted by `quote`: no such quote in it, nor space or `>` unquoted. */
function fits(raw: string, quote: Quote): boolean {
  return quote === '' ? !/[\t\n\f\r >]/.test(raw) : !raw.includes(quote);
}

describe('the link fast path from bytes', () => {
  test.each(CONTEXTS.map((c, i) => [i, c] as const))(
    'inserts before a value what the string path gives, or defers to it (context %i)',
    (_i, c) => {
      const links = linkBytes(linkPlan(c));
      const rewrite = createLinkRewrite(c);
      const next = random(2400 + _i);
      const values = [...SHAPES, ...Array.from({ length: 600 }, () => value(next))];
      let decided = 0;
      let inserted = 0;
      for (const v of values)
        for (const quote of ['"', "'", ''] as const) {
          const raw = Buffer.from(v);
          const text = raw.toString('latin1');
          if (!fits(text, quote)) continue;
          const decoded = attributeValue(text, quote);
          const rewritten = rewrite(decoded);
          const span = { start: 0, end: raw.length, quote, bare: false };
          const expected =
            rewritten === undefined || rewritten === decoded ? text : encodeValue(rewritten, span);
          const insert = links(raw, 0, raw.length, quote);
          if (insert === SLOW) continue;
          decided++;
          if (insert !== undefined) inserted++;
          const actual = insert === undefined ? text : insert.toString('latin1') + text;
          expect({ v, quote, out: actual }).toEqual({ v, quote, out: expected });
        }
      // Both answers are reached often: the comparison is not an empty one.
      expect(decided).toBeGreaterThan(values.length / 2);
      const { origin, base } = linkPlan(c);
      if (origin !== null && base !== null && origin + base !== '')
        expect(inserted).toBeGreaterThan(values.length / 20);
    },
  );

  test('inserts the prefix before a plain path, reading the bytes where they lie', () => {
    const links = linkBytes(linkPlan(CONTEXTS[0]!));
    const tag = Buffer.from('<a href="/pods/web-1?x=1#top">');
    expect(links(tag, 9, 28, '"')?.toString()).toBe('/proxy');
    expect(links(tag, 9, 14, '"')?.toString()).toBe('/proxy');
    expect(links(Buffer.from('/proxy/a'), 0, 8, '"')).toBeUndefined();
    expect(links(Buffer.from('/a?b=c'), 0, 6, '')).toBe(SLOW); // `=` unquoted: quotes added
    expect(links(Buffer.from('/a&amp;'), 0, 7, '"')).toBe(SLOW);
    expect(links(Buffer.from('mailto:x'), 0, 8, "'")).toBeUndefined();
  });
});
