import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  URL_ATTRIBUTES,
  createHtmlRewriter,
  type RewriteAttribute,
} from '../../../lib/rewrite/html/rewriter.js';

const PREFIX = 'http://foo.com/proxy/node/node1:10250';
const MB = 1024 * 1024;

/** A full garbage collection, so that what is measured is live memory (`--expose-gc` at run time). */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Live memory: the heap and the Buffers outside it, after full collections (`gc` from {@link collector}). */
function live(gc: () => void): number {
  // The second collection finishes releasing the Buffers the first found dead.
  gc();
  gc();
  const now = process.memoryUsage();
  return now.heapUsed + now.external;
}

/**
 * Enough of Kubernetes' rewriteURL for TestProxyTransport's bodies: a root-relative path, or an
 * absolute URL on the source host, gets the transport's prefix unless it already has it.
 */
function kubernetesLike(prefix = PREFIX, sourceHost = 'mynode.com'): RewriteAttribute {
  const pathPrepend = prefix.slice(prefix.indexOf('/proxy/'));
  return (value) => {
    const sameHost = `http://${sourceHost}/`;
    const path = value.startsWith('/')
      ? value
      : value.startsWith(sameHost)
        ? value.slice(sameHost.length - 1)
        : undefined;
    if (path === undefined || (value.startsWith(sameHost) && path.startsWith(pathPrepend)))
      return undefined;
    return prefix + path;
  };
}

/** Runs `input` through a rewriter, written in chunks of `chunkSize` bytes (all at once for 0). */
async function rewrite(
  input: string | Buffer,
  fn: RewriteAttribute = kubernetesLike(),
  chunkSize = 0,
): Promise<Buffer> {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize || bytes.length)
    parts.push(bytes.subarray(i, i + (chunkSize || bytes.length)));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(parts),
    createHtmlRewriter(fn),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

const text = async (
  input: string | Buffer,
  fn?: RewriteAttribute,
  chunkSize?: number,
): Promise<string> => (await rewrite(input, fn, chunkSize)).toString();

/** Every call made to a rewrite function, which returns `answer`. */
function recorder(answer?: string): { fn: RewriteAttribute; calls: [string, string, string][] } {
  const calls: [string, string, string][] = [];
  return { calls, fn: (value, tag, attr) => (calls.push([value, tag, attr]), answer) };
}

const ANCHORS = '<a href="kubelet.log">kubelet.log</a><a href="/google.log">google.log</a>';
const REWRITTEN = `<a href="kubelet.log">kubelet.log</a><a href="${PREFIX}/google.log">google.log</a>`;

describe('createHtmlRewriter', () => {
  // Spec 9.2 T12: every case with an HTML body. (The text/plain case never reaches the rewriter,
  // and redirect bodies are not rewritten: both belong to the transport's tests.)
  it.each([
    ['normal', `<pre>${ANCHORS}</pre>`, `<pre>${REWRITTEN}</pre>`, kubernetesLike()],
    [
      'full document',
      `<html><header></header><body><pre>${ANCHORS}</pre></body></html>`,
      `<html><header></header><body><pre>${REWRITTEN}</pre></body></html>`,
      kubernetesLike(),
    ],
    [
      'trailing slash',
      '<pre><a href="kubelet.log">kubelet.log</a><a href="/google.log/">google.log</a></pre>',
      `<pre><a href="kubelet.log">kubelet.log</a><a href="${PREFIX}/google.log/">google.log</a></pre>`,
      kubernetesLike(),
    ],
    ['content-type charset', `<pre>${ANCHORS}</pre>`, `<pre>${REWRITTEN}</pre>`, kubernetesLike()],
    [
      'subdir',
      ANCHORS,
      '<a href="kubelet.log">kubelet.log</a><a href="https://foo.com/proxy/node/node1:8080/google.log">google.log</a>',
      kubernetesLike('https://foo.com/proxy/node/node1:8080'),
    ],
    [
      'image',
      '<pre><img src="kubernetes.jpg"/><img src="/kubernetes_abs.jpg"/></pre>',
      `<pre><img src="kubernetes.jpg"/><img src="${PREFIX}/kubernetes_abs.jpg"/></pre>`,
      kubernetesLike(),
    ],
    [
      'abs',
      '<script src="http://google.com/kubernetes.js"/>',
      '<script src="http://google.com/kubernetes.js"/>',
      kubernetesLike(),
    ],
    [
      'abs but same host',
      '<script src="http://mynode.com/kubernetes.js"/>',
      `<script src="${PREFIX}/kubernetes.js"/>`,
      kubernetesLike(),
    ],
    [
      'source contains the redirect already',
      `<pre><a href="kubelet.log">kubelet.log</a><a href="${PREFIX}/google.log">google.log</a></pre>`,
      `<pre><a href="kubelet.log">kubelet.log</a><a href="${PREFIX}/google.log">google.log</a></pre>`,
      kubernetesLike(PREFIX, 'foo.com'),
    ],
    [
      'no host',
      '<html></html>',
      '<html></html>',
      kubernetesLike('https:///proxy/node/node1:10250'),
    ],
    [
      'no scheme',
      '<html></html>',
      '<html></html>',
      kubernetesLike('//foo.com/proxy/node/node1:10250'),
    ],
    ['forwarded URI must be escaped', '<html></html>', '<html></html>', kubernetesLike()],
  ])('rewrites T12 %s', async (_name, input, output, fn) => {
    expect(await text(input, fn)).toBe(output);
  });

  it('lists the 25 tags and 35 tag/attribute pairs of Kubernetes', () => {
    expect(URL_ATTRIBUTES.size).toBe(25);
    expect([...URL_ATTRIBUTES.values()].reduce((n, attrs) => n + attrs.size, 0)).toBe(35);
    expect([...URL_ATTRIBUTES.get('object')!]).toEqual(['classid', 'codebase', 'data', 'usemap']);
  });

  it('rewrites every listed tag/attribute pair and calls back with the tag and attribute', async () => {
    const pairs = [...URL_ATTRIBUTES].flatMap(([tag, attrs]) =>
      [...attrs].map((attr) => [tag, attr] as const),
    );
    // Closed, since script, iframe, ... hold raw text up to their end tag.
    const doc = pairs
      .map(([tag, attr]) => `<${tag} ${attr}="/${tag}-${attr}"></${tag}>`)
      .join('\n');
    const { fn, calls } = recorder('/new');
    const out = await text(doc, fn);
    expect(calls).toEqual(pairs.map(([tag, attr]) => [`/${tag}-${attr}`, tag, attr]));
    expect(out).toBe(pairs.map(([tag, attr]) => `<${tag} ${attr}="/new"></${tag}>`).join('\n'));
  });

  it('leaves attributes and tags that are not listed alone', async () => {
    const { fn, calls } = recorder('/new');
    const doc =
      '<a title="/x" data-href="/x" hreflang="/x"><div src="/x" href="/x"><img alt="/x"><link rel="/x"></a>';
    expect(await text(doc, fn)).toBe(doc);
    expect(calls).toEqual([]);
  });

  it('keeps the case of tags and attributes, and passes lower-case names to the callback', async () => {
    const { fn, calls } = recorder('/new');
    expect(await text('<A HREF="/x">X</A><Img SrC=\'/y\'>', fn)).toBe(
      '<A HREF="/new">X</A><Img SrC=\'/new\'>',
    );
    expect(calls).toEqual([
      ['/x', 'a', 'href'],
      ['/y', 'img', 'src'],
    ]);
  });

  it('keeps each attribute quoting and the whitespace around its `=`', async () => {
    const doc =
      '<a href="/d">d</a><a href=\'/s\'>s</a><a href=/u>u</a><a  href \t=\n "/w"  >w</a><img src=/v/>';
    expect(await text(doc)).toBe(
      `<a href="${PREFIX}/d">d</a><a href='${PREFIX}/s'>s</a><a href=${PREFIX}/u>u</a><a  href \t=\n "${PREFIX}/w"  >w</a><img src=${PREFIX}/v/>`,
    );
  });

  it('hands over entity-decoded values and escapes new ones for the quoting they go into', async () => {
    const { fn, calls } = recorder('/p?a=1&b="2"&c=\'3\'');
    const out = await text(
      '<a href="/x?a=1&amp;b=2&#34;">1</a><a href=\'/y&apos;\'>2</a><a href=/z&lt;>3</a>',
      fn,
    );
    expect(calls.map(([value]) => value)).toEqual(['/x?a=1&b=2"', "/y'", '/z<']);
    expect(out).toBe(
      '<a href="/p?a=1&amp;b=&#34;2&#34;&amp;c=\'3\'">1</a>' +
        '<a href=\'/p?a=1&amp;b="2"&amp;c=&#39;3&#39;\'>2</a>' +
        '<a href="/p?a=1&amp;b=&#34;2&#34;&amp;c=\'3\'">3</a>',
    );
  });

  it('quotes an unquoted value only when the new value needs it', async () => {
    expect(await text('<a href=/x>', () => '/a&b')).toBe('<a href=/a&amp;b>');
    expect(await text('<a href=/x>', () => '/a b')).toBe('<a href="/a b">');
    expect(await text('<a href=/x>', () => '')).toBe('<a href="">');
    expect(await text('<a href>', () => '/given')).toBe('<a href="/given">');
  });

  it('keeps every byte when the callback returns the value unchanged or undefined', async () => {
    const doc = '<A HREF = \'/x\' href="/dup"  ID=a>';
    expect(await text(doc, (v) => v)).toBe(doc);
    expect(await text(doc, () => undefined)).toBe(doc);
  });

  it('rewrites only the first of repeated attributes, the one browsers use', async () => {
    expect(await text('<a href="/one" HREF="/two" href=/three>')).toBe(
      `<a href="${PREFIX}/one" HREF="/two" href=/three>`,
    );
  });

  it('never reads comments, doctypes, CDATA or raw text as tags', async () => {
    const doc = [
      '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">',
      '<!-- <a href="/comment"> -->',
      '<script>document.write(\'<a href="/script">\')</script>',
      '<script type="module"><!--<script><a href="/escaped"></script>--></script>',
      '<style>a[href="/x"]::after { content: "<a href=\'/style\'>" }</style>',
      '<title><a href="/title"></title>',
      '<textarea><a href="/textarea"></textarea>',
      '<noscript><a href="/noscript"></noscript>',
      '<iframe><a href="/iframe"></iframe><xmp><a href="/xmp"></xmp>',
      '<p><![CDATA[<a href="/html-cdata">]]></p>',
      '<svg><![CDATA[ a > b <a href="/svg-cdata"> ]]></svg>',
      '<?php echo "<a href=\'/pi\'>" ?>',
      '<a href="/real">',
    ].join('\n');
    const { fn, calls } = recorder('/new');
    expect(await text(doc, fn)).toBe(doc.replace('<a href="/real">', '<a href="/new">'));
    expect(calls).toEqual([['/real', 'a', 'href']]);
  });

  it.each([
    ['SVG style is not raw text', '<svg><style><a href="/read"></a></style></svg>', ['/read']],
    [
      'the end of svg returns to HTML',
      '<svg></svg><style><a href="/no"></style><a href="/read">',
      ['/read'],
    ],
    [
      'foreignObject holds HTML, and its end returns to SVG',
      '<svg><foreignObject><script><a href="/no"></script></foreignObject><style><a href="/read"></style></svg>',
      ['/read'],
    ],
    [
      'an HTML tag breaks out of SVG',
      '<svg><p><style><a href="/no"></style><a href="/read">',
      ['/read'],
    ],
    [
      'MathML text integration points hold HTML',
      '<math><mi><textarea><a href="/no"></textarea></mi><mo></mo></math><title><a href="/no"></title><a href="/read">',
      ['/read'],
    ],
    [
      'MathML annotation-xml with an HTML encoding holds HTML',
      '<math><annotation-xml encoding="Text/HTML"><style><a href="/no"></style></annotation-xml></math><a href="/read">',
      ['/read'],
    ],
    [
      'CDATA is text in SVG',
      '<svg><![CDATA[ a > b <a href="/no"> ]]></svg><a href="/read">',
      ['/read'],
    ],
    [
      'CDATA is a bogus comment in HTML, ended by the first >',
      '<p><![CDATA[ a > b <a href="/read"> ]]>',
      ['/read'],
    ],
  ])('follows the tree builder: %s', async (_name, doc, read) => {
    const { fn, calls } = recorder();
    expect(await text(doc, fn)).toBe(doc);
    expect(calls.map(([value]) => value)).toEqual(read);
  });

  it('passes malformed markup through byte for byte', async () => {
    const docs = [
      '<a href="/x"<b>',
      '</a href="/end-tag">',
      '<a href="/x" / >',
      '< a href="/not-a-tag">',
      '<a href="/x"\x00 b\x00="\x00">',
      'a < b && c > d </ > <!> <! x> <!--->',
      '<a href="/unterminated',
      "<a href='/crlf\r\nstill'>",
      '<<a href=/x>>',
      '<img src="/a" src="/b"/ alt=\'x\'',
    ];
    for (const doc of docs) expect(await text(doc, () => undefined)).toBe(doc);
    expect(await text('<a href="/x"<b>')).toBe(`<a href="${PREFIX}/x"<b>`);
    expect(await text('<a href="/x" / >')).toBe(`<a href="${PREFIX}/x" / >`);
    expect(await text('<a href="/x" b="/y" <a href="/z">')).toBe(
      `<a href="${PREFIX}/x" b="/y" <a href="/z">`,
    );
  });

  it('gives the same output when the document arrives one byte at a time', async () => {
    const doc =
      '<!doctype html>\r\n<HTML manifest="/m"><head><TITLE>é</TITLE><script>if (a<b) x("</a>")</script></head>\n' +
      '<BODY background=/bg.png><!-- <a href="/c"> --><p>Grüße &amp; € 😀 <a href="/x?a=1&amp;b=2" class=x>x</a>' +
      '<form action=\'/f\'><input type=image src=/i formaction="/fa"></form><svg><a href="/s"/></svg></BODY></HTML>';
    const whole = await rewrite(doc);
    expect(whole.toString()).toContain(`href="${PREFIX}/x?a=1&amp;b=2"`);
    for (const size of [1, 2, 3, 7])
      expect((await rewrite(doc, kubernetesLike(), size)).equals(whole)).toBe(true);
  });

  it('keeps multi-byte UTF-8 characters split across chunks', async () => {
    const doc = 'Ünïcødé € 𝄞 😀 '.repeat(50) + '<a href="/ß">ß</a>' + '中文字符'.repeat(50);
    for (const size of [1, 2, 3, 5]) expect(await text(doc, () => undefined, size)).toBe(doc);
  });

  it('keeps bytes that are not UTF-8 (a Latin-1 page, stray bytes) exactly', async () => {
    const doc = Buffer.concat([
      Buffer.from('<p>caf'),
      Buffer.from([0xe9, 0xff, 0xc3]),
      Buffer.from(' <a href="/x">'),
      Buffer.from([0x80, 0xfe]),
    ]);
    const out = await rewrite(doc, undefined, 3);
    const tag = doc.indexOf('<a');
    expect(
      out.equals(
        Buffer.concat([
          doc.subarray(0, tag),
          Buffer.from(`<a href="${PREFIX}/x">`),
          doc.subarray(-2),
        ]),
      ),
    ).toBe(true);
  });

  it('decodes a non-ASCII value as UTF-8 and writes the new value as UTF-8', async () => {
    const { fn, calls } = recorder('/naïve/€');
    const out = await text('<a href="/caf&eacute;/é?q=&amp;ü">', fn, 1);
    expect(calls).toEqual([['/café/é?q=&ü', 'a', 'href']]);
    expect(out).toBe('<a href="/naïve/€">');
  });

  it('normalizes CR LF and NUL in a value as the tokenizer does', async () => {
    const { fn, calls } = recorder();
    await text('<a href="/a\r\nb\rc\x00d">', fn);
    expect(calls).toEqual([['/a\nb\nc\ufffdd', 'a', 'href']]);
  });

  it('emits what it has read before the document ends', async () => {
    const rewriter = createHtmlRewriter(kubernetesLike());
    const chunks: string[] = [];
    rewriter.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const first = once(rewriter, 'data');
    rewriter.write('<p>first <a href="/x">x</a> line</p>\n<a href="/y"');
    await first;
    expect(chunks).toEqual([`<p>first <a href="${PREFIX}/x">x</a> line</p>`]);
    rewriter.end('>');
    await once(rewriter, 'end');
    expect(chunks.join('')).toBe(
      `<p>first <a href="${PREFIX}/x">x</a> line</p>\n<a href="${PREFIX}/y">`,
    );
  });

  it.each([
    ['a 1 MiB data: URL', '<img alt="x" src="data:text/plain;base64,', 'QUJD', '">'],
    ['a 1 MiB comment', '<!--', 'abcd', '-->'],
    ['1 MiB of text without whitespace', '<script>var s="', 'abcd', '"</script>'],
  ])('holds %s without gathering it char by char', async (_name, head, filler, tail) => {
    const size = MB;
    const block = Buffer.from(filler.repeat(16 * 1024));
    const blocks = size / block.length;
    const gc = collector();
    const start = live(gc);
    let peak = start;
    let sent = 0;
    const body = new Readable({
      read() {
        // Live memory every 256 KiB of the token.
        if (sent % 4 === 0) peak = Math.max(peak, live(gc));
        const next = sent++;
        this.push(
          next === 0
            ? Buffer.from(head)
            : next <= blocks
              ? block
              : next === blocks + 1
                ? Buffer.from(tail)
                : null,
        );
      },
    });
    const { fn, calls } = recorder();
    let bytes = 0;
    await pipeline(
      body,
      createHtmlRewriter(fn),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          callback();
        },
      }),
    );
    expect(bytes).toBe(head.length + size + tail.length);
    // The URL and the comment are past MAX_PENDING: the rest passes unread (limits.test.ts).
    expect(calls).toEqual([]);
    // parse5 alone gathers such a token as a rope of some 40 bytes per char: 40 MB here.
    expect(peak - start).toBeLessThan(8 * MB);
  });

  it('fails the stream when the callback throws', async () => {
    await expect(
      rewrite('<a href="/x">', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('streams a 4 MiB page with bounded memory and rewrites every link', async () => {
    const unit = (i: number): string =>
      `<tr><td>${i}</td><td><a href="/logs/${i}.log" class='l'>log ${i}</a> — Grüße, é &amp; 😀</td></tr>\n`;
    let block = '';
    for (let i = 0; block.length < 64 * 1024; i++) block += unit(i);
    const blockBytes = Buffer.from(block);
    const linksPerBlock = block.split('<a href=').length - 1;
    const blocks = 64;
    const split = 1001; // every block goes in two pieces, cut inside a tag
    const gc = collector();
    let sent = 0;
    let bytesIn = 0;
    let bytesOut = 0;
    let lag = 0;
    const samples: number[] = [];
    const page = new Readable({
      read() {
        // Live memory a quarter of the way in and near the end (2.75 MiB later): a rewriter
        // that kept what it read (strings, output, callbacks per link) grows between the two.
        if (sent === blocks / 2 || sent === blocks * 2 - 8) samples.push(live(gc));
        // Input not yet out: a rewriter holding the page would fall behind by all of it.
        lag = Math.max(lag, bytesIn - bytesOut);
        if (sent === blocks * 2) return void this.push(null);
        const piece = sent++ % 2 === 0 ? blockBytes.subarray(0, split) : blockBytes.subarray(split);
        bytesIn += piece.length;
        this.push(piece);
      },
    });

    const needle = `<a href="${PREFIX}/logs/`;
    let found = 0;
    let tail = '';
    const counter = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytesOut += chunk.length;
        const seen = tail + chunk.toString('latin1');
        found += seen.split(needle).length - 1;
        tail = seen.slice(-(needle.length - 1));
        callback();
      },
    });
    await pipeline(page, createHtmlRewriter(kubernetesLike()), counter);

    expect(found).toBe(blocks * linksPerBlock);
    expect(bytesOut).toBe(blocks * (blockBytes.length + linksPerBlock * PREFIX.length));
    if (process.env.HTML_REWRITE_MEMORY) {
      process.stdout.write(
        `4 MiB page: live +${((samples[1]! - samples[0]!) / MB).toFixed(2)} MB over 2.75 MiB, lag ${(lag / 1024).toFixed(0)} KiB\n`,
      );
    }
    // The stream buffers on the way (16 KiB each side) and one 64 KiB slice being read.
    expect(lag).toBeLessThan(256 * 1024);
    expect(samples[1]! - samples[0]!).toBeLessThan(MB);
  });
});
