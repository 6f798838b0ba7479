/**
 * The `--www` file server, after Go's `http.FileServer`: files with their length and modification
 * time, `index.html` for a directory, else a listing; `GET` and `HEAD` only. Go's redirects are kept:
 * a directory asked without its trailing slash goes to `name/`, a file asked with one goes to
 * `../name`, and `.../index.html` goes to `./`. The path comes from the router already decoded
 * and clean, so it cannot leave the directory.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, extname, join } from 'node:path';

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
  const links = names.map((name) => `<a href="${escapeHtml(encodeURIComponent(name).replace(/%2F$/, '/'))}">${escapeHtml(name)}</a>\n`);
  return `<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n${links.join('')}</pre>\n`;
}

function notModified(req: IncomingMessage, info: Stats): boolean {
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && Math.floor(info.mtimeMs / 1000) * 1000 <= since;
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, info: Stats): void {
  res.setHeader('Last-Modified', info.mtime.toUTCString());
  if (notModified(req, info)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Type', TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
  res.setHeader('Content-Length', info.size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

function failure(res: ServerResponse, err: unknown): void {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') sendText(res, 404, '404 page not found\n');
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
      if (!trailingSlash && path !== '/') return redirect(res, `${encodeURIComponent(basename(path))}/`);
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
