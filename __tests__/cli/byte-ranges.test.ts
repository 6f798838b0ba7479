// Byte ranges of the --www file server, after Go's http.ServeContent. The answers through the proxy
// are the ones kubectl proxy 1.32 gave for the same 20-byte file and headers (status, headers, body;
// the multipart boundary is random in both).
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INVALID_RANGE, NO_OVERLAP, parseRange, planRanges } from '../../lib/cli/byte-ranges.js';
import { rawRequest, startRecorder } from '../helpers/servers.js';
import type { RawResponse } from '../helpers/servers.js';
import { closeAll, startCli, tempDir, track } from './helpers.js';
import type { RunningCli } from './helpers.js';

afterEach(closeAll);

const DATA = '0123456789abcdefghij';
const MTIME = new Date('2020-01-02T03:04:05Z');
const MTIME_TEXT = 'Thu, 02 Jan 2020 03:04:05 GMT';

describe('parseRange', () => {
  it.each([
    ['bytes=0-4', [[0, 5]]],
    ['bytes=5-', [[5, 15]]],
    ['bytes=-3', [[17, 3]]],
    ['bytes=-30', [[0, 20]]],
    ['bytes=18-100', [[18, 2]]],
    [
      'bytes=0-1,4-5',
      [
        [0, 2],
        [4, 2],
      ],
    ],
    [
      'bytes= 0-1 , ,3-4 ',
      [
        [0, 2],
        [3, 2],
      ],
    ],
    ['bytes=+1-+2', [[1, 2]]],
    ['bytes=-0', [[20, 0]]],
    ['bytes=0-1,30-40', [[0, 2]]],
    ['bytes=-+1', [[19, 1]]],
    ['bytes=0-99999999999999999999', undefined],
  ])('reads %j as Go does', (header, expected) => {
    const plan = parseRange(header, 20);
    if (expected === undefined) expect(plan).toEqual({ refused: INVALID_RANGE });
    else expect(plan).toEqual({ ranges: expected.map(([start, length]) => ({ start, length })) });
  });

  it.each(['bytes=20-', 'bytes=30-40', 'bytes=20-,25-'])('finds no overlap in %j', (header) => {
    expect(parseRange(header, 20)).toEqual({ refused: NO_OVERLAP });
  });

  it.each([
    'items=0-1',
    'bytes=abc',
    'bytes=5-2',
    'bytes=--1',
    'bytes=-1-2',
    'bytes=0-1,x',
    'Bytes=0-1',
  ])('refuses %j', (header) => {
    expect(parseRange(header, 20)).toEqual({ refused: INVALID_RANGE });
  });
});

describe('planRanges', () => {
  const mtimeMs = MTIME.getTime() + 250;

  it('sends the whole file when the ranges add up to more than the file', () => {
    expect(planRanges('bytes=0-1,0-25', undefined, 20, mtimeMs)).toEqual({ ranges: [] });
  });

  it('ignores ranges past the end of an empty file, but not a bad header', () => {
    expect(planRanges('bytes=5-', undefined, 0, mtimeMs)).toEqual({ ranges: [] });
    expect(planRanges('bytes=abc', undefined, 0, mtimeMs)).toEqual({ refused: INVALID_RANGE });
  });

  it('keeps the ranges for an If-Range equal to the modification time, to the second, and only then', () => {
    const one = { ranges: [{ start: 0, length: 2 }] };
    expect(planRanges('bytes=0-1', MTIME_TEXT, 20, mtimeMs)).toEqual(one);
    expect(planRanges('bytes=0-1', 'Thu, 02 Jan 2020 03:04:06 GMT', 20, mtimeMs)).toEqual({
      ranges: [],
    });
    expect(planRanges('bytes=0-1', '"an-etag"', 20, mtimeMs)).toEqual({ ranges: [] });
    expect(planRanges('bytes=0-1', 'garbage', 20, mtimeMs)).toEqual({ ranges: [] });
  });
});

describe('the --www file server with Range', () => {
  let proxy: RunningCli;

  beforeEach(async () => {
    const www = await tempDir('cli-ranges-');
    await writeFile(join(www, 'f.txt'), DATA);
    await utimes(join(www, 'f.txt'), MTIME, MTIME);
    await writeFile(join(www, 'empty.txt'), '');
    const backend = track(await startRecorder());
    proxy = await startCli(['--target', backend.url, '--www', www, '--quiet']);
  });

  function get(file: string, headers: string, method = 'GET'): Promise<RawResponse> {
    return rawRequest(
      proxy.port,
      `${method} /static/${file} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`,
    );
  }

  /** The answer as kubectl's is compared: status line, headers sorted (no Date, Connection), body. */
  function shape(answer: RawResponse): { status: string; headers: string[]; body: string } {
    const [status = '', ...lines] = answer.head.split('\r\n');
    const headers = lines.filter((line) => !/^(date|connection|keep-alive):/i.test(line)).sort();
    return { status, headers, body: answer.body.toString('latin1') };
  }

  it('announces Accept-Ranges on a whole file', async () => {
    expect(shape(await get('f.txt', ''))).toEqual({
      status: 'HTTP/1.1 200 OK',
      headers: [
        'Accept-Ranges: bytes',
        'Content-Length: 20',
        'Content-Type: text/plain; charset=utf-8',
        `Last-Modified: ${MTIME_TEXT}`,
      ],
      body: DATA,
    });
  });

  it.each([
    ['bytes=0-4', '0-4', '01234'],
    ['bytes=5-', '5-19', '56789abcdefghij'],
    ['bytes=-3', '17-19', 'hij'],
    ['bytes=18-100', '18-19', 'ij'],
    ['bytes=0-1,30-40', '0-1', '01'],
  ])('answers Range %s with 206 and Content-Range bytes %s/20', async (range, span, body) => {
    expect(shape(await get('f.txt', `Range: ${range}\r\n`))).toEqual({
      status: 'HTTP/1.1 206 Partial Content',
      headers: [
        'Accept-Ranges: bytes',
        `Content-Length: ${body.length}`,
        `Content-Range: bytes ${span}/20`,
        'Content-Type: text/plain; charset=utf-8',
        `Last-Modified: ${MTIME_TEXT}`,
      ],
      body,
    });
  });

  it('answers several ranges with multipart/byteranges, byte for byte as Go writes it', async () => {
    const answer = shape(await get('f.txt', 'Range: bytes=0-1,4-5\r\n'));
    const boundary = /boundary=([0-9a-f]{60})$/.exec(
      answer.headers.find((h) => h.startsWith('Content-Type:')) ?? '',
    )?.[1];
    expect(boundary).toBeDefined();
    const part = (span: string, bytes: string): string =>
      `--${boundary}\r\nContent-Range: bytes ${span}/20\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${bytes}`;
    const body = `${part('0-1', '01')}\r\n${part('4-5', '45')}\r\n--${boundary}--\r\n`;
    expect(answer).toEqual({
      status: 'HTTP/1.1 206 Partial Content',
      headers: [
        'Accept-Ranges: bytes',
        'Content-Length: 346',
        `Content-Type: multipart/byteranges; boundary=${boundary}`,
        `Last-Modified: ${MTIME_TEXT}`,
      ],
      body,
    });
    expect(body).toHaveLength(346);
  });

  it('answers ranges past the end with 416 and Content-Range bytes */20', async () => {
    expect(shape(await get('f.txt', 'Range: bytes=20-\r\n'))).toEqual({
      status: 'HTTP/1.1 416 Requested Range Not Satisfiable',
      headers: [
        'Content-Length: 33',
        'Content-Range: bytes */20',
        'Content-Type: text/plain; charset=utf-8',
        'X-Content-Type-Options: nosniff',
      ],
      body: 'invalid range: failed to overlap\n',
    });
  });

  it.each(['bytes=5-2', 'bytes=abc', 'items=0-1'])(
    'answers the unreadable Range %s with 416 and no Content-Range',
    async (range) => {
      expect(shape(await get('f.txt', `Range: ${range}\r\n`))).toEqual({
        status: 'HTTP/1.1 416 Requested Range Not Satisfiable',
        headers: [
          'Content-Length: 14',
          'Content-Type: text/plain; charset=utf-8',
          'X-Content-Type-Options: nosniff',
        ],
        body: 'invalid range\n',
      });
    },
  );

  it('sends the whole file for ranges adding up to more than it, or an If-Range that does not hold', async () => {
    for (const headers of [
      'Range: bytes=0-1,0-25\r\n',
      'Range: bytes=0-1\r\nIf-Range: "etag"\r\n',
      'Range: bytes=0-1\r\nIf-Range: Fri, 03 Jan 2020 00:00:00 GMT\r\n',
    ]) {
      const answer = await get('f.txt', headers);
      expect({ headers, status: answer.status, body: answer.body.toString() }).toEqual({
        headers,
        status: 200,
        body: DATA,
      });
    }
    const held = await get('f.txt', `Range: bytes=0-1\r\nIf-Range: ${MTIME_TEXT}\r\n`);
    expect({ status: held.status, body: held.body.toString() }).toEqual({
      status: 206,
      body: '01',
    });
  });

  it('answers HEAD with the 206 head and no body', async () => {
    const answer = await get('f.txt', 'Range: bytes=0-4\r\n', 'HEAD');
    expect(answer.status).toBe(206);
    expect(answer.headers['content-range']).toEqual(['bytes 0-4/20']);
    expect(answer.headers['content-length']).toEqual(['5']);
    expect(answer.body.length).toBe(0);
  });

  it('answers bytes=-0 with an empty 206, as Go does', async () => {
    const answer = await get('f.txt', 'Range: bytes=-0\r\n');
    expect({
      status: answer.status,
      range: answer.headers['content-range'],
      body: answer.body.length,
    }).toEqual({ status: 206, range: ['bytes 20-19/20'], body: 0 });
  });

  it('serves an empty file whole whatever range is asked past its end', async () => {
    const answer = await get('empty.txt', 'Range: bytes=0-1\r\n');
    expect({ status: answer.status, length: answer.headers['content-length'] }).toEqual({
      status: 200,
      length: ['0'],
    });
  });
});
