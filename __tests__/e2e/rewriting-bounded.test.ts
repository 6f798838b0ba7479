// The HTML rewriter's memory is bounded per response whatever the page (docs/rewriting.md,
// "Limits"). A proxy with the default rewriting transport runs in a child process with a 64 MB
// heap, in front of a backend serving gzip-compressed hostile pages: 8 MiB tag names, attribute
// names, doctypes and comments, each some 8 KiB on the wire. Before the limits, parse5 gathered
// such a name a char at a time, some 33 bytes of heap per byte: one page took over 250 MB and
// the child died. The child reports its heap and resident set over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { ROOT, guard, nextMessage, killChild, memoryReportingChild } from '../helpers/child.js';
import { MB, digest, sha256 } from '../helpers/bodies.js';
import { startUpstream, type Running } from '../helpers/servers.js';

/** The built package: `npm test` builds before jest runs; run `npm run build` first alone. */
const PACKAGE = path.join(ROOT, 'dist', 'index.js');
const HEAP_MB = 64;
/** Requests at once, spread over the kinds. */
const CONCURRENT = 16;
/**
 * Generous bounds on the growth while the pages go through: each response holds at most 320 KiB
 * of source and 64 KiB of parse5's window, plus zlib's state outside the heap (measured: about
 * 5 MB of heap and 30 MB of resident set for all 16).
 */
const HEAP_LIMIT = 24 * MB;
const RSS_LIMIT = 160 * MB;

/**
 * The proxy, its memory sampled every 50 ms right after a full collection (so that what counts is
 * live memory, not garbage not yet collected); it reports `{ port, base }`, then `{ peak }`.
 */
const CHILD = memoryReportingChild(`const http = require('node:http');
const { upgradeAware } = require(process.argv[2]);
const server = http.createServer(upgradeAware({ location: process.argv[3] }));
`);

const HUGE = 8 * MB;
const HEAD = '<!doctype html><a href="/before">before</a>';
const TAIL = '<a href="/after">after</a>\n';
/** Each hostile token; the rewriter must pass it and all that follows as it came. */
const KINDS: Record<string, string> = {
  tag: `<${'a'.repeat(HUGE)} href="/in-tag">`,
  attribute: `<a ${'b'.repeat(HUGE)}="/x" href="/in-attribute">`,
  doctype: `<!DOCTYPE ${'c'.repeat(HUGE)}>`,
  comment: `<!--${'d'.repeat(HUGE)}-->`,
};

interface Memory {
  heapUsed: number;
  rss: number;
}

let backend: Running;
let dir: string;
let child: ChildProcess;
let proxyUrl: string;
let base: Memory;
const gzipped = new Map<string, Buffer>();
const expected = new Map<string, string>();

/** The next message from the child; fails if it exits first or hangs. */
function message<T>(): Promise<T> {
  return nextMessage<T>(child);
}

beforeAll(async () => {
  for (const [kind, token] of Object.entries(KINDS)) {
    const page = Buffer.from(HEAD + token + TAIL, 'latin1');
    gzipped.set(kind, zlib.gzipSync(page));
    const rewritten = HEAD.replace('"/before"', '"/via/before"');
    expected.set(kind, sha256(Buffer.from(rewritten + token + TAIL, 'latin1')));
  }
  backend = await startUpstream((req, res) => {
    const body = gzipped.get(new URL(req.url ?? '', 'http://x').searchParams.get('kind') ?? '');
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' });
    res.end(body);
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewriting-bounded-'));
  writeFileSync(path.join(dir, 'proxy.js'), CHILD);
  child = fork(path.join(dir, 'proxy.js'), [PACKAGE, `${backend.url}/page`], {
    execArgv: [`--max-old-space-size=${HEAP_MB}`, '--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await message<{ port: number; base: Memory }>();
  proxyUrl = `http://127.0.0.1:${ready.port}`;
  base = ready.base;
});

afterAll(async () => {
  await killChild(child);
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** GETs the page of `kind` through the proxy; resolves with the gunzipped body's hash. */
async function fetchPage(
  kind: string,
): Promise<{ status: number; encoding: string | undefined; sha256: string }> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(`${proxyUrl}/via/page?kind=${kind}`, { agent: false }, resolve).on('error', reject);
  });
  let hash = '';
  // pipeline, so that a proxy dying midway fails the read instead of leaving it waiting.
  await pipeline(res, zlib.createGunzip(), async (body: AsyncIterable<Buffer>) => {
    hash = (await digest(body)).sha256;
  });
  return { status: res.statusCode!, encoding: res.headers['content-encoding'], sha256: hash };
}

describe('upgradeAware rewriting hostile HTML in a process with a 64 MB heap', () => {
  it(`passes ${CONCURRENT} concurrent 8 MiB tokens through byte for byte, its memory bounded`, async () => {
    const kinds = Array.from({ length: CONCURRENT }, (_, i) => Object.keys(KINDS)[i % 4]!);
    const pages = await guard(
      Promise.all(kinds.map(fetchPage)),
      () => 'the pages did not arrive',
      120_000,
    );
    for (const [i, page] of pages.entries()) {
      expect(page).toEqual({ status: 200, encoding: 'gzip', sha256: expected.get(kinds[i]!) });
    }
    child.send('report');
    const { peak } = await message<{ peak: Memory }>();
    if (process.env.HTML_REWRITE_MEMORY) {
      process.stdout.write(
        `${CONCURRENT} hostile pages: heap +${((peak.heapUsed - base.heapUsed) / MB).toFixed(1)} MB, rss +${((peak.rss - base.rss) / MB).toFixed(1)} MB\n`,
      );
    }
    expect(child.exitCode).toBeNull();
    expect(peak.heapUsed - base.heapUsed).toBeLessThan(HEAP_LIMIT);
    expect(peak.rss - base.rss).toBeLessThan(RSS_LIMIT);
  }, 180_000);
});
