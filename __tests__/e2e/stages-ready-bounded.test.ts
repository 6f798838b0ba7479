// transformBody's memory is bounded whatever the body's size (docs/stages.md, "transformBody"):
// a proxy with it runs in a child process with a 48 MB heap, in front of a backend streaming a
// 128 MiB gzip body, which the proxy decodes, upper-cases and encodes again. Holding the body, or
// reading the backend faster than the client takes it, would grow the resident set by the body's
// size or kill the child. The child reports its heap and resident set over IPC.
import http from 'node:http';
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { BLOCK, MB, digest, writeBlocks } from '../helpers/bodies.js';
import { ROOT, guard, nextMessage, killChild, memoryReportingChild } from '../helpers/child.js';
import { startUpstream, type Running } from '../helpers/servers.js';

/** The built packages: `npm test` builds before jest runs; run `npm run build` first alone. */
const PACKAGE = path.join(ROOT, 'dist', 'index.js');
const STAGES = path.join(ROOT, 'dist', 'stages', 'index.js');
const HEAP_MB = 48;
/** Blocks of 64 KiB in the large body: 128 MiB, nearly three times the child's heap. */
const LARGE_BLOCKS = 2048;
/**
 * Generous bounds on the growth while the body goes through: the streams' buffers and zlib's
 * state (measured: about 1 MB of heap and 30 to 37 MB of resident set, zlib's and the sockets'
 * memory outside the heap). Holding the body would add its 128 MiB to the resident set.
 */
const HEAP_LIMIT = 16 * MB;
const RSS_LIMIT = 96 * MB;

/** The proxy with transformBody (upper case) on text/plain; its peak memory sampled after a full GC. */
const CHILD = memoryReportingChild(`const http = require('node:http');
const { Transform } = require('node:stream');
const { upgradeAware } = require(process.argv[2]);
const { transformBody } = require(process.argv[3]);
const upcase = () => new Transform({
  transform(chunk, _encoding, callback) {
    callback(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
  },
});
const stages = { response: [transformBody({ types: ['text/plain'] }, upcase)] };
const server = http.createServer(upgradeAware({ location: process.argv[4], stages }));
`);

interface Memory {
  heapUsed: number;
  rss: number;
}

describe('transformBody in a process with a 48 MB heap', () => {
  let backend: Running;
  let dir: string;
  let child: ChildProcess;

  beforeAll(async () => {
    backend = await startUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' });
      const gzip = zlib.createGzip({ level: 1 });
      void pipeline(gzip, res).catch(() => {});
      void writeBlocks(gzip, LARGE_BLOCKS).then(() => gzip.end());
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'stages-ready-'));
    writeFileSync(path.join(dir, 'proxy.js'), CHILD);
    child = fork(path.join(dir, 'proxy.js'), [PACKAGE, STAGES, backend.url], {
      execArgv: [`--max-old-space-size=${HEAP_MB}`, '--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
  });

  afterAll(async () => {
    await killChild(child);
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams a 128 MiB gzip body through, transformed, its memory bounded', async () => {
    const { port, base } = await nextMessage<{ port: number; base: Memory }>(child);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`http://127.0.0.1:${port}/`, { agent: false }, resolve).on('error', reject);
    });
    let got = { bytes: 0, sha256: '' };
    const received = pipeline(res, zlib.createGunzip(), async (body: AsyncIterable<Buffer>) => {
      got = await digest(body);
    });
    await guard(received, () => 'the body did not arrive', 120_000);
    const expected = createHash('sha256');
    const upper = Buffer.from(BLOCK.toString('latin1').toUpperCase(), 'latin1');
    for (let i = 0; i < LARGE_BLOCKS; i++) expected.update(upper);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(got).toEqual({ bytes: LARGE_BLOCKS * BLOCK.length, sha256: expected.digest('hex') });
    child.send('report');
    const { peak } = await nextMessage<{ peak: Memory }>(child);
    if (process.env.STAGES_MEMORY) {
      const grew = (key: keyof Memory): string => ((peak[key] - base[key]) / MB).toFixed(1);
      process.stdout.write(
        `128 MiB through transformBody: heap +${grew('heapUsed')} MB, rss +${grew('rss')} MB\n`,
      );
    }
    expect(peak.heapUsed - base.heapUsed).toBeLessThan(HEAP_LIMIT);
    expect(peak.rss - base.rss).toBeLessThan(RSS_LIMIT);
  }, 180_000);
});
