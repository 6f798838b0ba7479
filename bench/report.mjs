// Turns bench/results/*.json into docs/benchmarks.svg (a bar chart) and the generated parts of
// docs/benchmarks.md (between `<!-- results:start -->` / `<!-- results:end -->` and
// `<!-- targets:start -->` / `<!-- targets:end -->`); the prose around them is hand-written.
// Run at the end of `npm run bench`, or alone: node bench/report.mjs
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chart } from './report/svg.mjs';
import { resultsMarkdown, targetsMarkdown } from './report/markdown.mjs';

/** The scenarios in the order of the document; a missing results file is left out. */
export const ORDER = ['get', 'get1m', 'post64k', 'ws', 'handshakes', 'idle', 'throttle', 'rewrite'];

const RESULTS = new URL('results/', import.meta.url);
const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const SVG = new URL('../docs/benchmarks.svg', import.meta.url);

/** The results files there are, in ORDER. */
export async function readResults() {
  const found = [];
  for (const name of ORDER) {
    try {
      found.push(JSON.parse(await readFile(new URL(`${name}.json`, RESULTS), 'utf8')));
    } catch (err) {
      if (err.code !== 'ENOENT') throw new Error(`results/${name}.json: ${err.message}`);
    }
  }
  return found;
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
  await writeFile(SVG, chart(results));
  let doc = await readFile(DOC, 'utf8');
  doc = between(doc, 'results', resultsMarkdown(results));
  doc = between(doc, 'targets', targetsMarkdown(results));
  await writeFile(DOC, doc);
  console.log(
    `report: ${fileURLToPath(SVG)} and ${fileURLToPath(DOC)} from ${results.map((r) => r.scenario).join(', ')}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeReport().catch((err) => {
    console.error(`report: ${err.message}`);
    process.exitCode = 1;
  });
}
