// The backend of the rewrite scenario: `200 text/plain` with a small body, or for a query with
// `html` a large `text/html` page full of links, as a dashboard would serve (`html=gzip`: the same
// page gzip-compressed). Both with Content-Length, over keep-alive.
// Usage: node rewrite-backend.mjs <text bytes> <html bytes>
import zlib from 'node:zlib';
import { serve } from '../harness/serve.mjs';

const [textBytes = '100', htmlBytes = String(2 << 20)] = process.argv.slice(2);

/** Table rows of about 150 bytes, each with two links to rewrite (an anchor and an image). */
function page(bytes) {
  const rows = [
    '<!DOCTYPE html><html><head><link rel="stylesheet" href="/static/site.css"></head><body><table>\n',
  ];
  let size = rows[0].length;
  for (let n = 0; size < bytes; n++) {
    const row =
      `<tr><td><a href="/pods/web-${n}">web-${n}</a></td><td>Running</td>` +
      `<td><img src="/icons/ok.png" alt=""></td><td>3d</td></tr>\n`;
    rows.push(row);
    size += row.length;
  }
  rows.push('</table></body></html>\n');
  return Buffer.from(rows.join(''));
}

const text = Buffer.alloc(Number(textBytes), 'x');
const html = page(Number(htmlBytes));
const gzip = zlib.gzipSync(html);
const textHead = { 'content-type': 'text/plain', 'content-length': text.length };
const htmlHead = { 'content-type': 'text/html; charset=utf-8', 'content-length': html.length };
const gzipHead = {
  'content-type': 'text/html; charset=utf-8',
  'content-encoding': 'gzip',
  'content-length': gzip.length,
};

await serve((req, res) => {
  req.resume();
  const query = req.url.slice(req.url.indexOf('?') + 1);
  if (query === 'html=gzip') {
    res.writeHead(200, gzipHead);
    res.end(gzip);
  } else if (query === 'html') {
    res.writeHead(200, htmlHead);
    res.end(html);
  } else {
    res.writeHead(200, textHead);
    res.end(text);
  }
});
