// The --www file server after Go's http.FileServer, through the command-line proxy's router, and
// serveStatic alone with clean paths.
import http from 'node:http';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveStatic } from '../../lib/cli/static-files.js';
import { listen, rawRequest, request, startRecorder } from '../helpers/servers.js';
import type { RawResponse } from '../helpers/servers.js';
import { closeAll, startCli, tempDir, track } from './helpers.js';
import type { RunningCli } from './helpers.js';

afterEach(closeAll);

const MTIME = new Date('2020-01-02T03:04:05Z');
const SECRET = 'the secret outside the www directory';

/**
 * A temp dir holding `www/` (test.txt, sub/index.html, list/ with awkward names, nested dirs) and,
 * beside it, `secret.txt`, which must never be served.
 */
async function makeTree(): Promise<{ root: string; www: string }> {
  const root = await tempDir('cli-www-');
  const www = join(root, 'www');
  await mkdir(join(www, 'sub'), { recursive: true });
  await mkdir(join(www, 'list', 'nested'), { recursive: true });
  await writeFile(join(www, 'test.txt'), 'This is test data');
  await utimes(join(www, 'test.txt'), MTIME, MTIME);
  await writeFile(join(www, 'page.html'), '<p>page</p>');
  await writeFile(join(www, 'data.bin'), Buffer.from([0, 1, 2]));
  await writeFile(join(www, 'sub', 'index.html'), '<h1>sub</h1>');
  for (const name of ['<b>.txt', 'a"b.txt', 'x&y.txt', 'plain.txt'])
    await writeFile(join(www, 'list', name), name);
  await writeFile(join(root, 'secret.txt'), SECRET);
  return { root, www };
}

/** The proxy with `--www` at `/static/` in front of a recording backend. */
async function startWithWww(www: string): Promise<RunningCli> {
  const backend = track(await startRecorder((_req, res, seen) => res.end(`backend ${seen.url}`)));
  return startCli(['--target', backend.url, '--www', www]);
}

/** A raw GET (or `method`) of `path` with Connection: close. */
function raw(port: number, path: string, method = 'GET', headers = ''): Promise<RawResponse> {
  return rawRequest(
    port,
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`,
  );
}

describe('the --www file server', () => {
  let www: string;
  let proxy: RunningCli;

  beforeEach(async () => {
    ({ www } = await makeTree());
    proxy = await startWithWww(www);
  });

  it('serves a file with Content-Type, Content-Length and Last-Modified', async () => {
    const answer = await request(`${proxy.url}/static/test.txt`);
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('This is test data');
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['content-length']).toBe('17');
    expect(answer.headers['last-modified']).toBe(MTIME.toUTCString());
  });

  it('gives each known extension its type, and application/octet-stream otherwise', async () => {
    expect((await request(`${proxy.url}/static/page.html`)).headers['content-type']).toBe(
      'text/html; charset=utf-8',
    );
    expect((await request(`${proxy.url}/static/data.bin`)).headers['content-type']).toBe(
      'application/octet-stream',
    );
  });

  it('answers HEAD with the headers and no body', async () => {
    const answer = await raw(proxy.port, '/static/test.txt', 'HEAD');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-length']).toEqual(['17']);
    expect(answer.headers['last-modified']).toEqual([MTIME.toUTCString()]);
    expect(answer.body.length).toBe(0);
  });

  it('answers 304 when the file is not newer than If-Modified-Since, 200 when it is', async () => {
    const same = await raw(
      proxy.port,
      '/static/test.txt',
      'GET',
      `If-Modified-Since: ${MTIME.toUTCString()}\r\n`,
    );
    expect(same.status).toBe(304);
    expect(same.body.length).toBe(0);
    const later = new Date(MTIME.getTime() + 60_000).toUTCString();
    expect(
      (await raw(proxy.port, '/static/test.txt', 'GET', `If-Modified-Since: ${later}\r\n`)).status,
    ).toBe(304);
    const earlier = new Date(MTIME.getTime() - 60_000).toUTCString();
    const changed = await raw(
      proxy.port,
      '/static/test.txt',
      'GET',
      `If-Modified-Since: ${earlier}\r\n`,
    );
    expect(changed.status).toBe(200);
    expect(changed.body.toString()).toBe('This is test data');
    const garbage = await raw(
      proxy.port,
      '/static/test.txt',
      'GET',
      'If-Modified-Since: yesterday\r\n',
    );
    expect(garbage.status).toBe(200);
  });

  it('serves index.html for a directory', async () => {
    const answer = await request(`${proxy.url}/static/sub/`);
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('<h1>sub</h1>');
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  // As Go's file server: a directory gets its slash, index.html its directory, and a file loses its
  // slash (serveFile opens path.Clean(name), then redirects `name/` to `../name`).
  it.each([
    ['a directory asked without its slash', '/static/sub', 'sub/'],
    ['`.../index.html`', '/static/sub/index.html', './'],
    ['a file asked with a trailing slash', '/static/test.txt/', '../test.txt'],
  ])('redirects %s (%s) to `%s`', async (_what, path, location) => {
    const answer = await raw(proxy.port, path);
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toEqual([location]);
  });

  it('lists a directory without index.html, names escaped, directories with a slash', async () => {
    const answer = await request(`${proxy.url}/static/list/`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    const body = answer.body.toString();
    expect(body).not.toContain('<b>');
    expect(body).not.toContain('a"b');
    expect(body).toContain('<a href="%3Cb%3E.txt">&#60;b&#62;.txt</a>');
    expect(body).toContain('<a href="a%22b.txt">a&#34;b.txt</a>');
    expect(body).toContain('<a href="x%26y.txt">x&#38;y.txt</a>');
    expect(body).toContain('<a href="nested/">nested/</a>');
    const order = [...body.matchAll(/<a href="([^"]*)">/g)].map((m) => m[1]);
    expect(order).toEqual(['%3Cb%3E.txt', 'a%22b.txt', 'nested/', 'plain.txt', 'x%26y.txt']);
  });

  it('lists the root of the directory at the prefix', async () => {
    const body = (await request(`${proxy.url}/static/`)).body.toString();
    expect(body).toContain('<a href="test.txt">test.txt</a>');
    expect(body).toContain('<a href="sub/">sub/</a>');
    expect(body).not.toContain('secret');
  });

  it('answers 404 `404 page not found\\n` for a missing file, and below a file', async () => {
    for (const path of ['/static/nope.txt', '/static/test.txt/more', '/static/sub/missing/']) {
      const answer = await request(`${proxy.url}${path}`);
      expect(answer.status).toBe(404);
      expect(answer.body.toString()).toBe('404 page not found\n');
    }
  });

  it.each(['POST', 'PUT', 'DELETE'])('answers %s with 405 and Allow: GET, HEAD', async (method) => {
    const answer = await request(`${proxy.url}/static/test.txt`, {
      method,
      headers: { 'Content-Length': 1 },
      body: 'x',
    });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
    expect(answer.body.toString()).toBe('405 method not allowed\n');
  });

  it.each([
    ['/static/../secret.txt', '/secret.txt'],
    ['/static/%2e%2e/secret.txt', '/secret.txt'],
    ['/static/..%2fsecret.txt', '/secret.txt'],
    ['/static/%2e%2e%2fsecret.txt', '/secret.txt'],
    ['/static/sub/../../secret.txt', '/secret.txt'],
    ['/static/./../www/../secret.txt', '/secret.txt'],
  ])(
    'never leaves the directory: %s is redirected to %s, outside /static/',
    async (path, location) => {
      const answer = await raw(proxy.port, path);
      expect(answer.status).toBe(301);
      expect(answer.headers.location).toEqual([location]);
      expect(answer.body.toString()).not.toContain(SECRET);
      // Followed, the clean path is outside the static prefix: it goes to the backend, not the disk.
      const followed = await request(`${proxy.url}${location}`);
      expect(followed.body.toString()).toBe(`backend ${location}`);
    },
  );

  it('serves nothing outside the directory for names that only look like traversal', async () => {
    for (const path of [
      '/static/..%5csecret.txt',
      '/static/...',
      '/static/%2e%2e%5c%2e%2e%5csecret.txt',
    ]) {
      const answer = await raw(proxy.port, path);
      expect(answer.status).toBe(404);
      expect(answer.body.toString()).not.toContain(SECRET);
    }
  });
});

describe('serveStatic', () => {
  /** A server that serves `www` with the path taken from the request line as is (tests send clean paths). */
  async function startDirect(www: string) {
    const server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      void serveStatic(req, res, www, path, path.endsWith('/'));
    });
    return track(await listen(server));
  }

  it('keeps a clean absolute path inside the directory', async () => {
    const { root, www } = await makeTree();
    const direct = await startDirect(www);
    const secretPath = join(root, 'secret.txt');
    expect((await stat(secretPath)).isFile()).toBe(true);
    for (const path of ['/secret.txt', secretPath, `/${root}/secret.txt`.replace(/\/+/g, '/')]) {
      const answer = await raw(direct.port, path);
      expect(answer.status).toBe(404);
      expect(answer.body.toString()).not.toContain(SECRET);
    }
    expect((await raw(direct.port, '/test.txt')).body.toString()).toBe('This is test data');
  });

  it('redirects a file to `../name` when given its path without the slash and trailingSlash true', async () => {
    const { www } = await makeTree();
    const server = http.createServer(
      (req, res) => void serveStatic(req, res, www, '/test.txt', true),
    );
    const direct = track(await listen(server));
    const answer = await raw(direct.port, '/test.txt/');
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toEqual(['../test.txt']);
  });

  it('answers 405 before looking at the disk', async () => {
    const { www } = await makeTree();
    const direct = await startDirect(www);
    const answer = await raw(direct.port, '/nope', 'POST', 'Content-Length: 0\r\n');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toEqual(['GET, HEAD']);
  });
});
