// docs/benchmarks.svg, drawn from the results files with no dependency: (1) the package's speed targets,
// each as measured / target (right of the line: met); (2) per scenario, one row per contender with
// its throughput and its CPU efficiency relative to the reference contender (http-proxy-middleware
// with a keep-alive agent = 1), or its memory efficiency for idle tunnels. Longer is better everywhere.
import { DISTURBED_PCT, disturbed } from '../harness/common.mjs';
import {
  Canvas,
  COLOURS,
  LABEL_X,
  REFERENCE,
  RELATIVE_MAX,
  TARGET_MAX,
  fixed,
  score,
  squeeze,
} from './canvas.mjs';
import { nodesChart } from './svg-nodes.mjs';

function targets(canvas, results) {
  const rows = results.flatMap((r) =>
    r.ratios
      .filter((x) => x.target && x.value != null)
      .map((x) => ({ ...x, scenario: r.scenario, disturbed: disturbed(r) !== '' })),
  );
  canvas.heading('Targets: measured / target (right of the dashed line: met)');
  const top = canvas.y + 4;
  for (const r of rows) {
    canvas.y += 18;
    canvas.text(
      LABEL_X,
      canvas.y,
      `${r.scenario}: ${r.label}`,
      `font-size="11" ${squeeze(`${r.scenario}: ${r.label}`)}`,
    );
    const op = r.target.op === '>=' ? '≥' : '≤';
    const note = r.disturbed ? ', disturbed run' : '';
    canvas.bar(
      canvas.y - 10,
      12,
      score(r),
      TARGET_MAX,
      r.met ? COLOURS.met : COLOURS.missed,
      `${fixed(r.value, 3)} (target ${op} ${r.target.value}${note})`,
    );
  }
  canvas.y += 6;
  canvas.grid(top, TARGET_MAX, true);
}

/** The reference row of `summary`: hpm when measured, else the best by `key`. */
function reference(summary, key, lowerIsBetter) {
  const ok = summary.filter((s) => s.status === 'ok' && s[key] != null);
  const hpm = ok.find((s) => s.name === REFERENCE);
  if (hpm) return hpm;
  return ok.reduce((a, b) => ((lowerIsBetter ? b[key] < a[key] : b[key] > a[key]) ? b : a), ok[0]);
}

function group(canvas, result) {
  const { chart: spec } = result;
  const ok = result.contenders.filter((s) => s.status === 'ok');
  if (!ok.length) return;
  const key = spec.rate ?? spec.memory;
  const ref = reference(result.contenders, key, !spec.rate);
  canvas.heading(`${result.scenario}: ${result.title}`, 12);
  const worst = Math.max(
    0,
    ...ok.filter((s) => s.name !== 'direct').map((s) => s.othersCpuPct ?? 0),
  );
  if (worst > DISTURBED_PCT) {
    canvas.text(
      LABEL_X + 8 + 7 * (result.scenario.length + result.title.length),
      canvas.y - 6,
      `disturbed: other processes took up to ${worst.toFixed(0)} % of the proxy CPU in a run`,
      `font-size="11" fill="${COLOURS.missed}"`,
    );
  }
  canvas.note(
    spec.rate
      ? `blue: ${spec.rateUnit} / ${ref.name}'s; orange: ${ref.name}'s CPU time per unit / the contender's (CPU efficiency)`
      : `green: ${ref.name}'s ${spec.memoryUnit} / the contender's (memory efficiency)`,
  );
  const top = canvas.y + 4;
  for (const s of ok) {
    canvas.y += spec.rate ? 26 : 18;
    const weight = s.name === 'uap' ? 'font-weight="bold"' : '';
    canvas.text(LABEL_X, canvas.y - (spec.rate ? 6 : 0), s.name, `font-size="11" ${weight}`);
    if (spec.rate) {
      const rate = s[spec.rate] / ref[spec.rate];
      const cpu = ref[spec.cpu] / s[spec.cpu];
      canvas.bar(
        canvas.y - 21,
        9,
        rate,
        RELATIVE_MAX,
        COLOURS.rate,
        `${fixed(rate)} (${fixed(s[spec.rate], s[spec.rate] < 100 ? 1 : 0)} ${spec.rateUnit})`,
      );
      canvas.bar(canvas.y - 10, 9, cpu, RELATIVE_MAX, COLOURS.cpu, `${fixed(cpu)}`);
    } else {
      const memory = ref[spec.memory] / s[spec.memory];
      canvas.bar(
        canvas.y - 10,
        12,
        memory,
        RELATIVE_MAX,
        COLOURS.memory,
        `${fixed(memory)} (${fixed(s[spec.memory], 0)} ${spec.memoryUnit})`,
      );
    }
  }
  canvas.y += 4;
  canvas.grid(top, RELATIVE_MAX, true);
}

/** The SVG chart of `results` (the parsed results files). */
export function chart(results, runs = []) {
  const canvas = new Canvas();
  const first = results[0];
  canvas.heading('upgrade-aware-proxy benchmarks', 16);
  canvas.note(
    `${first.machine.cpu}, ${first.machine.cpus} CPUs, Node ${first.machine.node}; ${[...new Set(results.map((r) => `${r.mode} mode`))].join(', ')}; ` +
      `${results
        .map((r) => r.date.slice(0, 10))
        .sort()
        .at(
          -1,
        )}. Longer bars are better; bars past ${RELATIVE_MAX} are cut (notched), the figure is exact.`,
  );
  targets(canvas, results);
  canvas.heading(
    `Per scenario, relative to ${REFERENCE} (http-proxy-middleware 3 with a keep-alive agent) = 1`,
  );
  for (const result of results.filter((r) => r.chart)) group(canvas, result);
  nodesChart(canvas, runs);
  return canvas.svg();
}
