// The cost of the rewriting transport (Kubernetes' default when no `transport` is given): this
// package with it on and with it off (an explicit keep-alive agent), each in its own process, in
// front of one backend, interleaved over several rounds. (1) Requests per second of a 100-byte
// `text/plain` GET, which the transport only passes through. (2) Throughput in MB/s of a large
// HTML page full of links, which it rewrites, plain and gzip-compressed.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  CPU, environment, interleave, median, ratio, roundTo, table, withServers, writeResults,
  requestMedians,
} from './common.mjs';
import { generator, generatorVersion, load } from './load.mjs';
import { pinned, pinning } from './processes.mjs';

const TEXT_BYTES = 100;
const HTML_BYTES = 2 << 20;
/** Connections of the HTML load: each fetch is a large streamed body, so a few keep the proxy busy. */
const HTML_CONNECTIONS = 4;
const MB = 1 << 20;
const RESULTS = new URL('results/rewrite.json', import.meta.url);
const HTML_LOAD = fileURLToPath(new URL('html-load.mjs', import.meta.url));
const SERVERS = [
  { mode: 'on', label: 'rewriting on (no transport)' },
  { mode: 'off', label: 'rewriting off (own keep-alive agent)' },
];
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
  return { status: res.statusCode, body: res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(body) : body };
}

/** The text GET must come back whole; the page must have its links rewritten exactly when rewriting is on. */
async function check(c) {
  const { status, body } = await get(c.url);
  if (status !== 200) throw new Error(`${c.name}: status ${status}`);
  if (!c.page) {
    if (body.length !== TEXT_BYTES) throw new Error(`${c.name}: ${body.length} bytes, not ${TEXT_BYTES}`);
    return;
  }
  const html = body.toString();
  const links = html.split('href="/').length - 1;
  const rewritten = html.split('href="/proxy/').length - 1;
  if (links < 1000 || rewritten !== (c.mode === 'on' ? links : 0)) {
    throw new Error(`${c.name}: ${rewritten} of ${links} links rewritten`);
  }
  c.htmlBytes = body.length;
  c.links = html.split('="/').length - 1;
}

/** One run of the 100-byte GET with wrk or autocannon, with the proxy's CPU time per request. */
async function runText(config, c, seconds) {
  const cpuBefore = await c.cpuTime();
  const result = await load(c.url, { connections: config.connections, cpu: CPU.load, seconds });
  return { ...result, cpuUs: (await c.cpuTime() - cpuBefore) / result.requests };
}

/** One run of the HTML load (html-load.mjs), as MB/s of HTML delivered and the proxy's CPU ms per MB. */
async function runHtml(c, seconds) {
  const cpuBefore = await c.cpuTime();
  const [command, args] = pinned(CPU.load, process.execPath, [HTML_LOAD, c.url, String(seconds), String(HTML_CONNECTIONS)]);
  const { stdout } = await promisify(execFile)(command, args);
  const { fetches, seconds: elapsed } = JSON.parse(stdout);
  const megabytes = (fetches * c.htmlBytes) / MB;
  return { fetches, mbPerSec: megabytes / elapsed, cpuMsPerMb: (await c.cpuTime() - cpuBefore) / 1000 / megabytes };
}

function summarizeText(contenders) {
  const summary = requestMedians(contenders);
  const [on, off] = summary;
  return {
    summary,
    // Rewriting on over off: a requests-per-second ratio below 1 and a CPU ratio above 1 are its cost.
    rpsOnOverOff: ratio(on.rps, off.rps),
    cpuOnOverOff: ratio(on.cpuUsPerRequest, off.cpuUsPerRequest),
  };
}

function summarizeHtml(contenders) {
  const summary = contenders.map(({ name, label, page, mode, htmlBytes, links, runs }) => ({
    name,
    label,
    page,
    mode,
    htmlBytes,
    links,
    mbPerSec: roundTo(median(runs.map((r) => r.mbPerSec)), 2),
    cpuMsPerMb: roundTo(median(runs.map((r) => r.cpuMsPerMb)), 1),
    fetches: runs.reduce((sum, r) => sum + r.fetches, 0),
    rounds: runs.map((r) => roundTo(r.mbPerSec, 2)),
  }));
  const pick = (page, mode) => summary.find((s) => s.page === page && s.mode === mode);
  return {
    summary,
    // Per page: rewriting on over off, in MB/s (below 1: slower) and in CPU per MB (above 1: dearer).
    onOverOff: Object.fromEntries(PAGES.map(({ name }) => [name, {
      mbPerSec: ratio(pick(name, 'on').mbPerSec, pick(name, 'off').mbPerSec),
      cpuPerMb: ratio(pick(name, 'on').cpuMsPerMb, pick(name, 'off').cpuMsPerMb),
    }])),
  };
}

function print(config, text, html) {
  const { connections, rounds, duration } = config;
  const how = `${rounds} x ${duration} s${pinning ? ', pinned' : ''}`;
  const textRows = [['contender', 'median req/s', 'rounds', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors']];
  for (const s of text.summary) {
    textRows.push([s.label, s.rps.toFixed(0), s.rounds.join(' '), s.p50Ms.toFixed(2), s.p99Ms.toFixed(2),
      s.cpuUsPerRequest.toFixed(0), String(s.errors)]);
  }
  console.log(`\n(1) ${TEXT_BYTES}-byte text/plain GET, ${connections} connections, ${how}, ${generator}`);
  console.log(`\n${table(textRows)}\n`);
  const slower = (1 - text.rpsOnOverOff) * 100;
  const change = `${Math.abs(slower).toFixed(1)}% ${slower >= 0 ? 'slower' : 'faster'}`;
  console.log(`req/s, on / off: ${text.rpsOnOverOff.toFixed(3)} (${change}; target: under 10% slower)`);
  console.log(`CPU/req, on / off: ${text.cpuOnOverOff.toFixed(3)}`);
  const htmlRows = [['page, contender', 'median MB/s', 'rounds', 'CPU ms/MB', 'fetches']];
  for (const s of html.summary) {
    htmlRows.push([`${s.page}, ${s.label}`, s.mbPerSec.toFixed(2), s.rounds.map((r) => r.toFixed(1)).join(' '),
      s.cpuMsPerMb.toFixed(0), String(s.fetches)]);
  }
  const { htmlBytes, links } = html.summary[0];
  console.log(`\n(2) HTML page of ${(htmlBytes / MB).toFixed(1)} MB with ${links} links, ${HTML_CONNECTIONS} connections, ${how}`);
  console.log(`\n${table(htmlRows)}\n`);
  console.log('MB/s: HTML delivered to the client, counted uncompressed; CPU ms/MB: the proxy process\'s\n');
  for (const [page, r] of Object.entries(html.onOverOff)) {
    console.log(`${page}: MB/s, on / off: ${r.mbPerSec.toFixed(3)}; CPU/MB, on / off: ${r.cpuPerMb.toFixed(2)}`);
  }
}

async function report(config, text, html) {
  return {
    date: new Date().toISOString(),
    text: { request: `GET, ${TEXT_BYTES}-byte text/plain response body`, connections: config.connections, loadGenerator: await generatorVersion(), ...text },
    html: { request: 'GET, text/html page with links', connections: HTML_CONNECTIONS, loadGenerator: 'bench/html-load.mjs', ...html },
    mode: config.mode,
    rounds: config.rounds,
    duration: config.duration,
    warmup: config.warmup,
    pinned: pinning ? CPU : false,
    ...environment([]),
  };
}

/** Runs the rewriting benchmark with `config` (see run.mjs) and writes results/rewrite.json. */
export async function rewrite(config) {
  await withServers(async (start) => {
    const backend = await start('rewrite-backend.mjs', [String(TEXT_BYTES), String(HTML_BYTES)], CPU.backend);
    const servers = [];
    for (const { mode, label } of SERVERS) {
      servers.push({ mode, label, ...await start('contenders/upgrade-aware-rewrite.mjs', [backend.url, mode], CPU.proxy) });
    }
    const text = servers.map(({ mode, label, url, cpuTime }) => ({ name: `rewrite-${mode}`, label, mode, url: `${url}/bench?q=1`, cpuTime, runs: [] }));
    // `/proxy/` with the location `backend/`: the backend gets `/`, and links get the prefix `/proxy`.
    const html = PAGES.flatMap(({ name, query }) => servers.map(({ mode, label, url, cpuTime }) => ({
      name: `${name}-rewrite-${mode}`, label, mode, page: name, url: `${url}/proxy/?${query}`, cpuTime, runs: [],
    })));
    for (const c of [...text, ...html]) await check(c);
    await interleave(config, text, (c, seconds) => runText(config, c, seconds), { rate: (r) => r.rps, unit: 'req/s' });
    await interleave(config, html, (c, seconds) => runHtml(c, seconds), { rate: (r) => r.mbPerSec, unit: 'MB/s' });
    const textResult = summarizeText(text);
    const htmlResult = summarizeHtml(html);
    print(config, textResult, htmlResult);
    await writeResults(RESULTS, await report(config, textResult, htmlResult));
  });
}
