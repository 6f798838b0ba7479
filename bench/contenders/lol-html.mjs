// lol-html (Cloudflare's streaming HTML rewriter, as html-rewriter-wasm: Rust compiled to
// WebAssembly) as a peer of this package's HTML link rewriting, in the rewrite scenario: a node:http
// proxy with a keep-alive http.Agent that passes every answer through, except a `text/html` one,
// whose body (gunzipped and gzipped again when it came so) goes through lol-html with one element
// handler per Kubernetes tag/attribute pair. Each value goes through this package's own Go URL
// rewriting (dist/), so the two differ only in how the page is read and written.
// Usage: node lol-html.mjs <backend url>
import http from 'node:http';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { HTMLRewriter } from 'html-rewriter-wasm';
import { URL_ATTRIBUTES } from '../../dist/rewrite/html/splicer.js';
import { fromByteString, toByteString } from '../../dist/rewrite/go/strings.js';
import { formatUrl, parseUrl } from '../../dist/rewrite/go/url.js';
import { rewriteUrl } from '../../dist/rewrite/rewrite-url.js';
import { serve } from '../harness/serve.mjs';

const [backend] = process.argv.slice(2);
const { hostname, port, host } = new URL(backend);
const agent = new http.Agent({ keepAlive: true });
// As the rewrite scenario's uap: mounted nowhere, location `backend/`, a request to /proxy/...
const target = { scheme: '', host: '', pathPrepend: '/proxy' };

/** The rewritten link, or null to leave it (the same rule as lib/rewrite/html/body.ts). */
function rewriteLink(value) {
  let parsed;
  try {
    parsed = parseUrl(toByteString(value));
  } catch {
    return null;
  }
  const rewritten = rewriteUrl(parsed, { host }, host, target);
  return rewritten === formatUrl(parsed) ? null : fromByteString(rewritten);
}

/** An element handler per tag/attribute pair, each rewriting that attribute. */
const HANDLERS = [...URL_ATTRIBUTES].flatMap(([tag, attrs]) =>
  [...attrs].map((attr) => [
    `${tag}[${attr}]`,
    {
      element(el) {
        const next = rewriteLink(el.getAttribute(attr));
        if (next !== null) el.setAttribute(attr, next);
      },
    },
  ]),
);

/** Writes `body` through lol-html to `res`, in order, each write awaited. */
async function rewriteBody(body, res) {
  const rewriter = new HTMLRewriter((chunk) => res.write(Buffer.from(chunk)));
  for (const [selector, handler] of HANDLERS) rewriter.on(selector, handler);
  try {
    for await (const chunk of body) await rewriter.write(chunk);
    await rewriter.end();
  } finally {
    rewriter.free();
  }
}

function relayHtml(answer, res) {
  const gzip = answer.headers['content-encoding'] === 'gzip';
  const headers = { ...answer.headers };
  delete headers['content-length'];
  res.writeHead(answer.statusCode, headers);
  const out = gzip ? zlib.createGzip() : res;
  if (gzip) pipeline(out, res, () => {});
  rewriteBody(gzip ? answer.pipe(zlib.createGunzip()) : answer, out).then(
    () => out.end(),
    () => res.destroy(),
  );
}

await serve((req, res) => {
  const upstream = http.request(
    { hostname, port, path: req.url, method: req.method, headers: req.headers, agent },
    (answer) => {
      if (/^text\/html/i.test(answer.headers['content-type'] ?? '')) return relayHtml(answer, res);
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
