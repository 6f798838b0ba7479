// A client that reads the head of a rewritten, compressed HTML page and then stops reading holds
// the backend back, and the proxy's memory stays bounded (docs/rewriting.md, "Limits"). The proxy
// (the built package, default rewriting transport, so undici) runs in a child process with a
// 64 MB heap; the backend compresses an endless page as it is read, in gzip, deflate and br at
// once. The proxy decodes, rewrites and re-encodes slower than the backend sends, so the backend
// is always ahead: before the fix, every resume of undici's parser read a socket's worth more than
// it parsed, and the proxy held 8 to 20 MB per page of the backend's bytes until the client's
// side filled (measured with one gzip page: +19 MB of live Buffers, the backend 13.5 MB in
// against 8.5 MB for the same page uncompressed).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, nextMessage, killChild } from '../helpers/child.js';
import { MB } from '../helpers/bodies.js';
import { startUpstream, type Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

/** The built package: `npm test` builds before jest runs; run `npm run build` first alone. */
const PACKAGE = path.join(ROOT, 'dist', 'index.js');
const CODINGS = ['gzip', 'deflate', 'br'] as const;
type Coding = (typeof CODINGS)[number];
/**
 * Bound on the proxy's live memory growth (heap and external, after full collections) with the
 * three pages stalled: each holds a few 16 KiB stream buffers, undici's socket buffer of at most
 * about 80 KiB, and zlib's state (measured: +2.6 MB for the three; +40 MB before the fix).
 */
const LIVE_LIMIT = 6 * MB;
/**
 * Bound on the compressed bytes each backend got written: the socket buffers between the backend
 * and the client (the kernel's, some 4 MB each way here) and what the proxy decoded before the
 * client's side filled (measured: 8 MB each; 12 to 13 MB before the fix). The page never ends:
 * a proxy that did not pass the client's backpressure on would read it for ever.
 */
const WRITTEN_LIMIT = 24 * MB;

/**
 * The proxy. On each message it reports its live memory after full collections (the second
 * finishes releasing the Buffers the first found dead), its resident set, and how many of its
 * client connections have bytes the kernel would not take: the client's side is full.
 */
const CHILD = `'use strict';
const http = require('node:http');
const { upgradeAware } = require(process.argv[2]);
const server = http.createServer(upgradeAware({ location: process.argv[3] }));
const sockets = new Set();
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
});
process.on('message', () => {
  global.gc();
  global.gc();
  const now = process.memoryUsage();
  const blocked = [...sockets].filter((socket) => socket.writableLength > 0).length;
  process.send({ live: now.heapUsed + now.external, rss: now.rss, blocked });
});
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
`;

interface Report {
  live: number;
  rss: number;
  blocked: number;
}

/** A line's link, then its random words and end: 128 bytes a line, 512 lines a block. */
const LINK = '<p><a href="/item">item</a> ';
const WORDS = 128 - LINK.length - '</p>\n'.length;

/** The next of the letters and spaces of a xorshift32 stream. */
function letter(seed: { x: number }): number {
  seed.x ^= seed.x << 13;
  seed.x ^= seed.x >>> 17;
  seed.x ^= seed.x << 5;
  const r = (seed.x >>> 0) % 32;
  return r < 26 ? 0x61 + r : 0x20;
}

/**
 * 64 KiB of HTML that compresses about 2:1 and never repeats, so that no coder's window finds
 * the blocks before it: lines of a link and random words.
 */
function htmlBlock(seed: { x: number }): Buffer {
  const block = Buffer.alloc(512 * 128);
  for (let at = 0; at < block.length;) {
    at += block.write(LINK, at, 'latin1');
    for (const end = at + WORDS; at < end; at++) block[at] = letter(seed);
    at += block.write('</p>\n', at, 'latin1');
  }
  return block;
}

function encoder(coding: Coding): zlib.Gzip | zlib.Deflate | zlib.BrotliCompress {
  // The fastest settings: the backend must outrun the proxy, which decodes, rewrites and re-encodes.
  if (coding === 'br')
    return zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } });
  return coding === 'gzip' ? zlib.createGzip({ level: 1 }) : zlib.createDeflate({ level: 1 });
}

/** What a backend page has done: compressed bytes on the wire, and whether its writer waits. */
interface Page {
  socket: Socket;
  blocks: number;
  waiting: boolean;
}

const pages = new Map<Coding, Page>();
let backend: Running;
let dir: string;
let child: ChildProcess;
let proxyUrl: string;
const clients: http.ClientRequest[] = [];

/** An endless page in `coding`, written with backpressure until the connection closes. */
function servePage(coding: Coding, res: http.ServerResponse): void {
  const page: Page = { socket: res.socket!, blocks: 0, waiting: false };
  pages.set(coding, page);
  res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': coding });
  const out = encoder(coding);
  out.pipe(res);
  const seed = { x: 0x9e3779b9 };
  const next = (): void => {
    page.waiting = false;
    while (!res.destroyed) {
      page.blocks++;
      if (!out.write(htmlBlock(seed))) {
        page.waiting = true;
        out.once('drain', next);
        return;
      }
    }
  };
  res.once('close', () => out.destroy());
  next();
}

/** The next message from the child; fails if it exits first or hangs. */
function message<T>(send = true): Promise<T> {
  const received = nextMessage<T>(child, 30_000);
  if (send) child.send('report');
  return received;
}

/** GETs `path` through the proxy; resolves with the response once its head is in. */
function get(pathname: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${proxyUrl}${pathname}`, { agent: false }, resolve).on('error', reject);
    clients.push(req);
  });
}

beforeAll(async () => {
  backend = await startUpstream((req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    const coding = url.searchParams.get('coding') as Coding;
    if (url.searchParams.has('warm')) {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': coding });
      res.end(
        coding === 'br'
          ? zlib.brotliCompressSync('<a href="/a">a</a>')
          : zlib[coding === 'gzip' ? 'gzipSync' : 'deflateSync']('<a href="/a">a</a>'),
      );
    } else servePage(coding, res);
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewriting-slow-client-'));
  writeFileSync(path.join(dir, 'proxy.js'), CHILD);
  child = fork(path.join(dir, 'proxy.js'), [PACKAGE, `${backend.url}/`], {
    execArgv: ['--max-old-space-size=64', '--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  proxyUrl = `http://127.0.0.1:${(await message<{ port: number }>(false)).port}/via`;
});

afterAll(async () => {
  for (const req of clients) req.destroy();
  await killChild(child);
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves when every page's writer has waited, the same count, with the client's side full, at three looks in a row. */
async function stalled(onReport: (report: Report) => void): Promise<void> {
  let last = '';
  let steady = 0;
  await waitFor(
    async () => {
      const report = await message<Report>();
      onReport(report);
      const now = CODINGS.map((coding) => pages.get(coding)!.blocks).join();
      const still =
        report.blocked === CODINGS.length &&
        CODINGS.every((coding) => pages.get(coding)!.waiting) &&
        now === last;
      last = now;
      steady = still ? steady + 1 : 0;
      if (steady < 3) await new Promise((resolve) => setTimeout(resolve, 250));
      return steady >= 3;
    },
    'the backends to stall',
    90_000,
  );
}

describe('upgradeAware rewriting a compressed page for a client that stops reading', () => {
  it('stalls the backend of each coding, the proxy memory bounded', async () => {
    // Warm-up: undici's parser and each coder are loaded before the baseline.
    for (const coding of CODINGS)
      await once((await get(`/page?warm&coding=${coding}`)).resume(), 'end');
    const base = await message<Report>();
    const responses = await Promise.all(CODINGS.map((coding) => get(`/page?coding=${coding}`)));
    for (const [i, res] of responses.entries()) {
      expect([res.statusCode, res.headers['content-encoding']]).toEqual([200, CODINGS[i]]);
      res.pause();
    }
    let peak = 0;
    await stalled((report) => (peak = Math.max(peak, report.live - base.live)));
    const written = CODINGS.map((coding) => pages.get(coding)!.socket.bytesWritten);
    if (process.env.HTML_REWRITE_MEMORY) {
      process.stdout.write(
        `live +${(peak / MB).toFixed(1)} MB; backend wrote ${written.map((n) => (n / MB).toFixed(1)).join(', ')} MB\n`,
      );
    }
    expect(child.exitCode).toBeNull();
    for (const bytes of written) expect(bytes).toBeLessThan(WRITTEN_LIMIT);
    expect(peak).toBeLessThan(LIVE_LIMIT);
  }, 120_000);
});
