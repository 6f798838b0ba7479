/**
 * The `--www` file server, after Go's `http.FileServer` (docs/cli.md, "Paths"): files with their
 * length and modification time, byte ranges (`byte-ranges.ts`), `index.html` for a directory, else
 * a listing; `GET` and `HEAD` only. Go's redirects are kept: a directory asked without its trailing
 * slash goes to `name/`, a file asked with one goes to `../name`, and `.../index.html` goes to
 * `./`. The path comes from the router already decoded and clean, so it cannot leave the directory.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { NO_OVERLAP, contentRange, multipart, planRanges } from './byte-ranges.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.xml': 'text/xml; charset=utf-8',
};

/** A plain-text answer, as Go's `http.Error` writes it. */
export function sendText(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 301;
  res.setHeader('Location', location);
  res.end();
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function listing(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
  const links = names.map(
    (name) =>
      `<a href="${escapeHtml(encodeURIComponent(name).replace(/%2F$/, '/'))}">${escapeHtml(name)}</a>\n`,
  );
  return `<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n${links.join('')}</pre>\n`;
}

function notModified(req: IncomingMessage, info: Stats): boolean {
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && Math.floor(info.mtimeMs / 1000) * 1000 <= since;
}

/** Go's `serveError` for a refused range: the error text, without the file's `Last-Modified`. */
function refuseRange(res: ServerResponse, message: string, size: number): void {
  res.removeHeader('Last-Modified');
  res.statusMessage = 'Requested Range Not Satisfiable'; // Go's (RFC 7233's) name for 416
  if (message === NO_OVERLAP) res.setHeader('Content-Range', `bytes */${size}`);
  sendText(res, 416, `${message}\n`);
}

/** Sends `length` bytes of the body from `stream`, or none for HEAD. */
function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  length: number,
  stream: () => Readable,
): void {
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Length', length);
  res.statusCode = status;
  // Go answers `bytes=-0` with an empty 206; a read stream cannot start past the end.
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const body = stream();
  body.on('error', () => res.destroy());
  res.on('close', () => body.destroy());
  body.pipe(res);
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, info: Stats): void {
  res.setHeader('Last-Modified', info.mtime.toUTCString());
  if (notModified(req, info)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.setHeader('Content-Type', type);
  const ifRange = req.headers['if-range'];
  const plan = planRanges(
    req.headers.range,
    Array.isArray(ifRange) ? ifRange[0] : ifRange,
    info.size,
    info.mtimeMs,
  );
  if ('refused' in plan) return refuseRange(res, plan.refused, info.size);
  const [first] = plan.ranges;
  if (plan.ranges.length === 0 || first === undefined) {
    sendBody(req, res, 200, info.size, () => createReadStream(file));
  } else if (plan.ranges.length === 1) {
    res.setHeader('Content-Range', contentRange(first, info.size));
    sendBody(req, res, 206, first.length, () =>
      createReadStream(file, { start: first.start, end: first.start + first.length - 1 }),
    );
  } else {
    const parts = multipart(file, plan.ranges, type, info.size);
    res.setHeader('Content-Type', parts.contentType);
    sendBody(req, res, 206, parts.length, parts.body);
  }
}

function failure(res: ServerResponse, err: unknown): void {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG')
    sendText(res, 404, '404 page not found\n');
  else if (code === 'EACCES' || code === 'EPERM') sendText(res, 403, '403 Forbidden\n');
  else sendText(res, 500, '500 Internal Server Error\n');
}

/**
 * Serves one request for `path` (decoded, clean, starting with `/`) from the directory `root`.
 *
 * @param trailingSlash Whether the request's path ended in `/`, for Go's directory redirects.
 */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  path: string,
  trailingSlash: boolean,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendText(res, 405, '405 method not allowed\n');
    return;
  }
  if (path.endsWith('/index.html')) return redirect(res, './');
  try {
    // Looked up without the trailing slash, so a file asked as `name/` is found and redirected.
    const file = join(root, path.replace(/(.)\/$/, '$1'));
    const info = await stat(file);
    if (info.isDirectory()) {
      if (!trailingSlash && path !== '/')
        return redirect(res, `${encodeURIComponent(basename(path))}/`);
      const index = join(file, 'index.html');
      const indexInfo = await stat(index).catch(() => undefined);
      if (indexInfo?.isFile()) return sendFile(req, res, index, indexInfo);
      const body = await listing(file);
      res.setHeader('Last-Modified', info.mtime.toUTCString());
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (trailingSlash) return redirect(res, `../${encodeURIComponent(basename(path))}`);
    sendFile(req, res, file, info);
  } catch (err) {
    failure(res, err);
  }
}
