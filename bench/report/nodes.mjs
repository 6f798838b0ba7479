// The generated "Node versions" part of docs/benchmarks.md: the runs of `--node 20,22,24`
// (results/node<major>/*.json) side by side, one column per Node for each figure, then every
// target and every ratio of this package to a peer, per Node. Everything comes from the results files.
import { disturbed } from '../harness/common.mjs';

const OP = { '>=': '≥', '<=': '≤' };
/** The ratios shown per Node besides the targets: this package against each peer. */
const PEER_RATIOS = new Set(['uap/hpm', 'uap/hpm4', 'uap/httpxy', 'uap/fastify-http-proxy']);

const fmt = (x, digits = 0) =>
  x == null
    ? '–'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** `[{ scenario, title, byNode: [result | undefined per run] }]`, in the runs' scenario order. */
function scenarios(runs) {
  const names = [...new Set(runs.flatMap((run) => run.results.map((r) => r.scenario)))];
  return names.map((scenario) => {
    const byNode = runs.map((run) => run.results.find((r) => r.scenario === scenario));
    return { scenario, title: byNode.find(Boolean).title, byNode };
  });
}

/** The figures a scenario's chart names (rate and CPU, or memory), with their table titles. */
function figures(result) {
  const { chart, columns } = result;
  const keys = chart ? [chart.rate, chart.cpu, chart.memory].filter(Boolean) : [];
  return keys.map((key) => columns.find((c) => c.key === key)).filter(Boolean);
}

/** The contenders' names over every Node's run, in the order they first appear. */
function contenderNames(byNode) {
  return [...new Set(byNode.flatMap((r) => r?.contenders.map((c) => c.name) ?? []))];
}

function cell(result, name, { key, digits }) {
  const c = result?.contenders.find((x) => x.name === name);
  if (!c) return '';
  return c.status === 'ok' ? fmt(c[key], digits) : c.status;
}

function figureTable(runs, { byNode }) {
  const columns = figures(byNode.find(Boolean));
  if (!columns.length) return [];
  const head = columns.flatMap((col) =>
    runs.map((run, i) => (i ? `Node ${run.major}` : `${col.title}, Node ${run.major}`)),
  );
  const rows = contenderNames(byNode).map((name) => [
    name === 'uap' ? '**uap**' : name,
    ...columns.flatMap((col) => byNode.map((r) => cell(r, name, col))),
  ]);
  return [
    `| contender | ${head.join(' | ')} |`,
    `| --- |${' ---: |'.repeat(head.length)}`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}

/** Each ratio of interest in any Node's run: `{ id, label, target, values: [ratio | undefined] }`. */
function ratioRows(byNode) {
  const rows = new Map();
  byNode.forEach((result, i) => {
    for (const r of result?.ratios ?? []) {
      if (!r.target && !PEER_RATIOS.has(r.id)) continue;
      const row = rows.get(r.id) ?? { ...r, values: [] };
      row.values[i] = r;
      rows.set(r.id, row);
    }
  });
  return [...rows.values()];
}

const verdict = (r) => (r.met == null ? '' : r.met ? ' **met**' : ' not met');

function ratioLine(runs, row) {
  const target = row.target ? ` (target ${OP[row.target.op]} ${row.target.value})` : '';
  const values = runs.map(
    (run, i) => `Node ${run.major}: ${fmt(row.values[i]?.value, 3)}${verdict(row.values[i] ?? {})}`,
  );
  return `- ${row.label}${target}: ${values.join(' · ')}`;
}

/** A warning naming the Nodes whose run of the scenario was disturbed (see common.mjs `disturbed`). */
function disturbedNote(runs, byNode) {
  const worst = runs
    .map((run, i) => [run.major, byNode[i] && disturbed(byNode[i]) ? worstShare(byNode[i]) : 0])
    .filter(([, share]) => share > 0);
  if (!worst.length) return [];
  const which = worst.map(([major, share]) => `Node ${major} (up to ${share.toFixed(0)} %)`);
  return [
    `> Disturbed: other processes took part of the proxy's CPU in runs on ${which.join(', ')}; ` +
      'those rates are off by an unknown amount, the CPU times per unit less.',
    '',
  ];
}

/** The most of the proxy CPU other processes took during one run of a proxy in `result`. */
function worstShare(result) {
  const proxies = result.contenders.filter((c) => c.name !== 'direct');
  return Math.max(0, ...proxies.map((c) => c.othersCpuPct ?? 0));
}

function scenarioPart(runs, s) {
  const first = s.byNode.find(Boolean);
  return [
    `#### \`${s.scenario}\`: ${s.title}`,
    '',
    `${first.how}; ${first.mode} mode.`,
    '',
    ...figureTable(runs, s),
    ...disturbedNote(runs, s.byNode),
    ...ratioRows(s.byNode).map((row) => ratioLine(runs, row)),
    '',
  ];
}

/** One line per Node: its version, when its runs were taken, what ran the rest. */
function header(runs) {
  return runs.map((run) => {
    const dates = run.results.map((r) => r.date.slice(0, 16).replace('T', ' ')).sort();
    const harness = run.results[0].machine.harnessNode ?? run.results[0].machine.node;
    return `- Node ${run.node}: ${run.results.length} scenarios, ${dates[0]} to ${dates.at(-1)} UTC (backends, load and harness on Node ${harness}).`;
  });
}

/** The Markdown of the Node versions' runs (`[{ major, node, results }]`, oldest Node first). */
export function nodesMarkdown(runs) {
  const note =
    '<!-- generated by `node bench/report.mjs` from bench/results/node*/*.json: edit the prose outside the markers only -->';
  if (!runs.length) return `${note}\n\nNo run with \`--node\` yet.`;
  return [note, '', ...header(runs), '', ...scenarios(runs).flatMap((s) => scenarioPart(runs, s))]
    .join('\n')
    .trimEnd();
}

export { scenarios as nodeScenarios, ratioRows };
