// Turns bench/results/*.json into docs/benchmarks.svg (a bar chart) and the generated parts of
// docs/benchmarks.md (between `<!-- results:start -->` / `<!-- results:end -->` and
// `<!-- targets:start -->` / `<!-- targets:end -->`); the prose around them is hand-written.
// Run at the end of `npm run bench`, or alone: node bench/report.mjs
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chart } from './report/svg.mjs';
import { resultsMarkdown, targetsMarkdown } from './report/markdown.mjs';
import { nodesMarkdown } from './report/nodes.mjs';

/** The scenarios in the order of the document; a missing results file is left out. */
export const ORDER = [
  'get',
  'get1m',
  'post64k',
  'kinds',
  'ws',
  'handshakes',
  'idle',
  'throttle',
  'rewrite',
];

const RESULTS = new URL('results/', import.meta.url);
const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const SVG = new URL('../docs/benchmarks.svg', import.meta.url);

/** The results files there are in `dir` (results/ by default), in ORDER. */
export async function readResults(dir = RESULTS) {
  const found = [];
  for (const name of ORDER) {
    try {
      found.push(JSON.parse(await readFile(new URL(`${name}.json`, dir), 'utf8')));
    } catch (err) {
      if (err.code !== 'ENOENT') throw new Error(`${dir.pathname}${name}.json: ${err.message}`);
    }
  }
  return found;
}

/**
 * The runs of `--node`, one per results/node<major>/ folder holding results, oldest Node first:
 * `[{ major, node, results }]` (`node`: the version the contenders ran on).
 */
export async function readNodeRuns() {
  const entries = await readdir(RESULTS, { withFileTypes: true }).catch(() => []);
  const majors = entries
    .map((e) => (e.isDirectory() ? /^node(\d+)$/.exec(e.name)?.[1] : undefined))
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  const runs = [];
  for (const major of majors) {
    const results = await readResults(new URL(`node${major}/`, RESULTS));
    if (results.length) runs.push({ major, node: results[0].machine.node, results });
  }
  return runs;
}

/** `text` with what lies between `<!-- name:start -->` and `<!-- name:end -->` replaced by `body`. */
export function between(text, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from)
    throw new Error(`docs/benchmarks.md has no ${start} ... ${end} markers`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

/** Writes docs/benchmarks.svg and the generated sections of docs/benchmarks.md from the results files. */
export async function writeReport() {
  const results = await readResults();
  if (!results.length) throw new Error('no results in bench/results/: run the benchmarks first');
  const runs = await readNodeRuns();
  await writeFile(SVG, chart(results, runs));
  let doc = await readFile(DOC, 'utf8');
  doc = between(doc, 'results', resultsMarkdown(results));
  doc = between(doc, 'targets', targetsMarkdown(results));
  doc = between(doc, 'nodes', nodesMarkdown(runs));
  await writeFile(DOC, doc);
  console.log(
    `report: ${fileURLToPath(SVG)} and ${fileURLToPath(DOC)} from ${results.map((r) => r.scenario).join(', ')}` +
      (runs.length ? `; Node ${runs.map((run) => run.major).join(', ')} from results/node*/` : ''),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeReport().catch((err) => {
    console.error(`report: ${err.message}`);
    process.exitCode = 1;
  });
}
