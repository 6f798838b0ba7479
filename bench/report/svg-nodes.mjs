// The part of docs/benchmarks.svg drawn from the runs of `--node 20,22,24` (results/node<major>/):
// where this package stands on each Node. Per scenario, one row per contender with one bar per
// Node: its rate (or, for idle tunnels, its memory efficiency) relative to http-proxy-middleware 3
// on the same Node, the one peer that runs on every Node; then each target, one bar per Node.
import { disturbed } from '../harness/common.mjs';
import { LABEL_X, REFERENCE, RELATIVE_MAX, TARGET_MAX, fixed, score, squeeze } from './canvas.mjs';
import { nodeScenarios, ratioRows } from './nodes.mjs';

const NODE_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1'];
const BAR_H = 7;

/** `name`'s figure over the reference's in `result` (higher is better), or undefined. */
function relative(result, name) {
  const { rate, memory } = result?.chart ?? {};
  const key = rate ?? memory;
  const of = (n) => result.contenders.find((c) => c.name === n && c.status === 'ok')?.[key];
  const [value, ref] = key ? [of(name), of(REFERENCE)] : [];
  if (value == null || ref == null) return undefined;
  return rate ? value / ref : ref / value;
}

/** Rows of bars, one per Node: `values[i]` (undefined: not measured) with `labels[i]`. */
function bars(canvas, runs, values, labels, max) {
  runs.forEach((run, i) => {
    const value = values[i];
    const label = `Node ${run.major}: ${value == null ? 'not measured' : labels[i]}`;
    canvas.bar(canvas.y, BAR_H, value ?? 0, max, NODE_COLOURS[i], label, 9);
    canvas.y += BAR_H + 1;
  });
}

function scenarioGroup(canvas, runs, { scenario, title, byNode }) {
  const names = [...new Set(byNode.flatMap((r) => r?.contenders.map((c) => c.name) ?? []))];
  const shown = names.filter((name) => byNode.some((r) => relative(r, name) != null));
  if (!shown.length) return;
  const noisy = runs.filter((_, i) => byNode[i] && disturbed(byNode[i])).map((run) => run.major);
  canvas.heading(
    `${scenario}: ${title}${noisy.length ? ` (disturbed on Node ${noisy.join(', ')})` : ''}`,
    12,
  );
  const top = canvas.y + 4;
  for (const name of shown) {
    canvas.y += 10;
    canvas.text(
      LABEL_X,
      canvas.y + 8,
      name,
      `font-size="11" ${name === 'uap' ? 'font-weight="bold"' : ''}`,
    );
    const values = byNode.map((r) => relative(r, name));
    bars(
      canvas,
      runs,
      values,
      values.map((v) => fixed(v)),
      RELATIVE_MAX,
    );
  }
  canvas.grid(top, RELATIVE_MAX, true);
}

function targetGroup(canvas, runs, scenarios) {
  const rows = scenarios.flatMap((s) =>
    ratioRows(s.byNode)
      .filter((row) => row.target)
      .map((row) => ({ ...row, scenario: s.scenario })),
  );
  if (!rows.length) return;
  canvas.heading('Targets on each Node: measured / target (right of the dashed line: met)', 12);
  const top = canvas.y + 4;
  for (const row of rows) {
    canvas.y += 10;
    const label = `${row.scenario}: ${row.label}`;
    canvas.text(LABEL_X, canvas.y + 8, label, `font-size="11" ${squeeze(label)}`);
    const found = runs.map((_, i) => row.values[i]);
    const values = found.map((r) => (r?.value == null ? undefined : score(r)));
    const labels = found.map((r) => `${fixed(r?.value, 3)}${r?.met ? ' met' : ' not met'}`);
    bars(canvas, runs, values, labels, TARGET_MAX);
  }
  canvas.grid(top, TARGET_MAX, true);
}

/** Draws the Node versions' part on `canvas`, from `runs` (`[{ major, node, results }]`); none: nothing. */
export function nodesChart(canvas, runs) {
  if (!runs.length) return;
  canvas.heading(
    `On each Node (${runs.map((run) => run.node).join(', ')}), relative to ${REFERENCE} 3 on the same Node = 1`,
  );
  canvas.note(
    'One bar per Node, colours in that order; hpm4 needs Node ≥ 22.15. Memory (idle): hpm / the contender.',
  );
  const scenarios = nodeScenarios(runs);
  targetGroup(canvas, runs, scenarios);
  for (const s of scenarios) scenarioGroup(canvas, runs, s);
}
