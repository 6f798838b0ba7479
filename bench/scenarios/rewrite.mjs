// `rewrite`: the cost of the rewriting transport (Kubernetes' default when no `transport` is
// given). This package with it on (no transport) and off (an http.Agent; in (1) also an undici
// Agent, the same client as the default transport may be), each in its own process
// on CPU 1 in front of backends/rewrite-backend.mjs, both with `location: backend + '/'` and no
// useRequestLocation (so a request to `/proxy/` has its links rewritten under `/proxy`).
// (1) req/s of a 100-byte text/plain GET, which the transport only passes through (wrk, 50
// connections); (2) MB/s of a 2 MB HTML page full of links, which it rewrites, plain and gzip
// (clients/html-load.mjs, 4 connections), against lol-html (contenders/lol-html.mjs) as a peer.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  CPU,
  interleave,
  measured,
  medians,
  ok,
  pick,
  prepare,
  ratio,
  withServers,
  writeResults,
} from '../harness/common.mjs';
import { subjectWith } from '../harness/contenders.mjs';
import { generator, generatorVersion, load } from '../harness/load.mjs';
import { pinned } from '../harness/processes.mjs';

const TEXT_BYTES = 100;
const HTML_BYTES = 2 << 20;
const CONNECTIONS = 50;
/** Connections of the HTML load: each fetch is a large streamed body, so a few keep the proxy busy. */
const HTML_CONNECTIONS = 4;
const MB = 1 << 20;
const HTML_LOAD = fileURLToPath(new URL('../clients/html-load.mjs', import.meta.url));
const MODES = [
  subjectWith('rewrite-on', 'rewriting on (no transport)', ['fixed-path']),
  subjectWith('rewrite-off', 'rewriting off (http.Agent transport)', ['agent', 'fixed-path']),
  // Rewriting off with undici as the client, as the default transport may be: only in (1).
  subjectWith('rewrite-off-undici', 'rewriting off (undici Agent transport)', [
    'undici',
    'fixed-path',
  ]),
  // A peer: lol-html (WebAssembly) rewriting the same attributes with the same URL rules.
  {
    name: 'lol-html',
    label: 'lol-html (html-rewriter-wasm), node:http + http.Agent',
    file: 'lol-html.mjs',
    args: [],
  },
];
/** The contenders that rewrite the page's links. */
const REWRITING = new Set(['rewrite-on', 'lol-html']);
const PAGES = [
  { name: 'identity', query: 'html' },
  { name: 'gzip', query: 'html=gzip' },
];

/** GETs `url` without keep-alive; resolves with the status and the body, gunzipped if it came so. */
async function get(url) {
  const res = await new Promise((resolve, reject) => {
    http.get(url, { agent: false }, resolve).on('error', reject);
  });
  const chunks = [];
  for await (const chunk of res) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  return {
    status: res.statusCode,
    body: res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(body) : body,
  };
}

/** The text GET must come back whole; the page must have its links rewritten exactly when rewriting is on. */
async function check(c) {
  const { status, body } = await get(c.url);
  if (status !== 200) throw new Error(`status ${status}`);
  if (!c.page) {
    if (body.length !== TEXT_BYTES) throw new Error(`${body.length} bytes, not ${TEXT_BYTES}`);
    return;
  }
  const html = body.toString();
  const links = html.split('href="/').length - 1;
  const rewritten = html.split('href="/proxy/').length - 1;
  if (links < 1000 || rewritten !== (REWRITING.has(c.mode) ? links : 0))
    throw new Error(`${rewritten} of ${links} links rewritten`);
  c.htmlBytes = body.length;
  c.links = html.split('="/').length - 1;
}

/** One run of the text GET, with the proxy's CPU time per request. */
async function runText(c, seconds) {
  const cpuBefore = await c.cpuTime();
  const result = await load(c.url, { connections: CONNECTIONS, cpu: CPU.load, seconds });
  return { ...result, cpuUs: ((await c.cpuTime()) - cpuBefore) / result.requests };
}

/** One run of the HTML load, as MB/s of HTML delivered (uncompressed) and the proxy's CPU ms per MB. */
async function runHtml(c, seconds) {
  const cpuBefore = await c.cpuTime();
  const [command, args] = pinned(CPU.load, process.execPath, [
    HTML_LOAD,
    c.url,
    String(seconds),
    String(HTML_CONNECTIONS),
  ]);
  const { stdout } = await promisify(execFile)(command, args);
  const { fetches, seconds: elapsed } = JSON.parse(stdout);
  const megabytes = (fetches * c.htmlBytes) / MB;
  return {
    fetches,
    mbPerSec: megabytes / elapsed,
    cpuMsPerMb: ((await c.cpuTime()) - cpuBefore) / 1000 / megabytes,
  };
}

/** The HTML contenders: each page (quick mode: the plain one only) through each server, as its own contender sharing the server. */
function pages(servers, quick) {
  const used = servers.filter((s) => ok(s) && s.name !== 'rewrite-off-undici');
  return PAGES.slice(0, quick ? 1 : PAGES.length).flatMap(({ name, query }) =>
    used.map((s) => ({
      ...s,
      name: `${name}, ${s.name}`,
      mode: s.name,
      page: name,
      url: `${s.server.url}/proxy/?${query}`,
      runs: [],
    })),
  );
}

/** Runs the `rewrite` scenario with `config` (see run.mjs) and writes results/rewrite.json. */
export async function rewrite(config) {
  const settings = config.settings('rewrite');
  await withServers(async (start) => {
    const backend = await start(
      'backends/rewrite-backend.mjs',
      [String(TEXT_BYTES), String(HTML_BYTES)],
      CPU.backend,
    );
    const text = await prepare(start, MODES, backend, { path: '/bench?q=1', check });
    const html = pages(text, config.quick);
    for (const c of html)
      await check(c).catch((err) =>
        Object.assign(c, { status: 'failed', reason: `check failed: ${err.message}` }),
      );
    // Quick mode leaves (1) out: `get` measures the same (uap against uap-agent) in its quick contenders.
    if (!config.quick)
      await interleave(settings, text.filter(ok), runText, { rate: (r) => r.rps, unit: 'req/s' });
    else
      for (const c of text.filter(ok))
        Object.assign(c, {
          status: 'skipped',
          reason: 'not run in quick mode (get has uap / uap-agent)',
        });
    // A page takes long enough to be warm after a second of fetches.
    const htmlSettings = { ...settings, warmup: Math.min(settings.warmup, 1) };
    await interleave(htmlSettings, html.filter(ok), runHtml, {
      rate: (r) => r.mbPerSec,
      unit: 'MB/s',
    });
    const textSummary = text.map((c) => medians(c, { rps: 0, p50Ms: 2, p99Ms: 2, cpuUs: 1 }));
    const htmlSummary = html.map((c) => ({
      ...medians(c, { mbPerSec: 2, cpuMsPerMb: 1 }),
      page: c.page,
      links: c.links,
      htmlBytes: c.htmlBytes,
    }));
    const of = (list, a, b, key) => ratio(pick(list, a)?.[key], pick(list, b)?.[key]);
    await writeResults({
      scenario: 'rewrite',
      title: `Rewriting transport on / off: (1) ${TEXT_BYTES}-byte text/plain GET`,
      how: `${CONNECTIONS} connections, ${settings.rounds} x ${settings.duration} s (warm-up ${settings.warmup} s), ${generator}`,
      mode: config.mode,
      settings: {
        ...settings,
        connections: CONNECTIONS,
        htmlConnections: HTML_CONNECTIONS,
        htmlBytes: HTML_BYTES,
      },
      loadGenerator: `${await generatorVersion()}; bench/clients/html-load.mjs`,
      columns: [
        { key: 'rps', title: 'req/s', digits: 0 },
        { key: 'p99Ms', title: 'p99 ms', digits: 2 },
        { key: 'cpuUs', title: 'CPU µs/req', digits: 1 },
      ],
      chart: null,
      contenders: textSummary,
      more: [
        {
          title: `(2) HTML page of ${(HTML_BYTES / MB).toFixed(0)} MB with links, rewritten (on) or piped (off)`,
          how: `${HTML_CONNECTIONS} connections, ${settings.rounds} x ${settings.duration} s (warm-up 1 s); MB/s of HTML delivered, counted uncompressed`,
          columns: [
            { key: 'mbPerSec', title: 'MB/s', digits: 2 },
            { key: 'cpuMsPerMb', title: 'CPU ms/MB', digits: 1 },
          ],
          contenders: htmlSummary,
        },
      ],
      ratios: [
        measured(
          'rewrite-on/off',
          'req/s, non-HTML, rewriting on / off',
          of(textSummary, 'rewrite-on', 'rewrite-off', 'rps'),
          ['>=', 0.9],
        ),
        measured(
          'cpu:rewrite-on/off',
          'CPU/req, non-HTML, rewriting on / off',
          of(textSummary, 'rewrite-on', 'rewrite-off', 'cpuUs'),
        ),
        measured(
          'rewrite-on/off-undici',
          'req/s, non-HTML, rewriting on / off with undici',
          of(textSummary, 'rewrite-on', 'rewrite-off-undici', 'rps'),
        ),
        measured(
          'cpu:rewrite-on/off-undici',
          'CPU/req, non-HTML, rewriting on / off with undici',
          of(textSummary, 'rewrite-on', 'rewrite-off-undici', 'cpuUs'),
        ),
        ...PAGES.slice(0, config.quick ? 1 : PAGES.length).flatMap(({ name }) => [
          measured(
            `html:${name}`,
            `MB/s, ${name} HTML page, rewriting on / off`,
            of(htmlSummary, `${name}, rewrite-on`, `${name}, rewrite-off`, 'mbPerSec'),
          ),
          measured(
            `cpu:html:${name}/lol-html`,
            `CPU/MB, ${name} HTML page, rewriting on / lol-html`,
            of(htmlSummary, `${name}, rewrite-on`, `${name}, lol-html`, 'cpuMsPerMb'),
          ),
        ]),
      ],
    });
  });
}
