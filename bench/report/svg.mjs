// docs/benchmarks.svg, drawn from the results files with no dependency: (1) the targets of issue 6,
// each as measured / target (right of the line: met); (2) per scenario, one row per contender with
// its throughput and its CPU efficiency relative to the reference contender (http-proxy-middleware
// with a keep-alive agent = 1), or its memory efficiency for idle tunnels. Longer is better everywhere.
import { DISTURBED_PCT, disturbed } from '../harness/common.mjs';

const WIDTH = 980;
const LABEL_X = 16;
const BAR_X = 380;
const BAR_W = 440;
const TARGET_MAX = 2;
const RELATIVE_MAX = 3;
const REFERENCE = 'hpm';
const COLOURS = {
  rate: '#4e79a7',
  cpu: '#f28e2b',
  memory: '#59a14f',
  met: '#59a14f',
  missed: '#e15759',
  grid: '#d0d0d0',
};

const escape = (text) =>
  String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (x, digits = 2) => (x == null ? '–' : x.toFixed(digits));

/** An SVG being laid out top to bottom: `y` is where the next row goes. */
class Canvas {
  constructor() {
    this.parts = [];
    this.y = 0;
  }

  text(x, y, content, attrs = '') {
    this.parts.push(`<text x="${x}" y="${y}" ${attrs}>${escape(content)}</text>`);
  }

  rect(x, y, w, h, fill) {
    this.parts.push(
      `<rect x="${x}" y="${y}" width="${Math.max(0, w).toFixed(1)}" height="${h}" fill="${fill}"/>`,
    );
  }

  line(x1, y1, x2, y2, attrs) {
    this.parts.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" ${attrs}/>`);
  }

  /** A bar for `value` on an axis from 0 to `max`; a value past `max` is cut with a notch. */
  bar(y, h, value, max, fill, label) {
    const clipped = value > max;
    const w = (Math.min(value, max) / max) * BAR_W;
    this.rect(BAR_X, y, w, h, fill);
    if (clipped)
      this.parts.push(`<path d="M${BAR_X + w - 6},${y} l6,${h / 2} l-6,${h / 2} z" fill="#fff"/>`);
    this.text(BAR_X + Math.min(w, BAR_W) + 6, y + h - 1, label, 'font-size="11"');
  }

  /** Grid lines every 0.5 from 0 to `max` over the rows from `top` to the current `y`, the line at 1 dashed. */
  grid(top, max, marks) {
    for (let v = 0; v <= max; v += 0.5) {
      const x = BAR_X + (v / max) * BAR_W;
      this.line(
        x,
        top,
        x,
        this.y,
        v === 1 ? 'stroke="#333" stroke-dasharray="4 3"' : `stroke="${COLOURS.grid}"`,
      );
      if (marks)
        this.text(x, this.y + 12, `${v}`, 'font-size="10" text-anchor="middle" fill="#555"');
    }
    this.y += marks ? 18 : 4;
  }

  heading(content, size = 14) {
    this.y += size + 10;
    this.text(LABEL_X, this.y, content, `font-size="${size}" font-weight="bold"`);
    this.y += 6;
  }

  note(content) {
    this.y += 14;
    this.text(LABEL_X, this.y, content, 'font-size="11" fill="#555"');
  }

  svg() {
    const height = Math.ceil(this.y + 16);
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
      `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
      ...this.parts,
      '</svg>',
      '',
    ].join('\n');
  }
}

/** Attributes that squeeze a label of 11 px text into the label column when it would not fit. */
function squeeze(label) {
  const room = BAR_X - LABEL_X - 10;
  return label.length * 5.9 > room ? `textLength="${room}" lengthAdjust="spacingAndGlyphs"` : '';
}

/** How far a ratio is from its target, 1 being on it and more being better. */
function score(ratio) {
  const { op, value: target } = ratio.target;
  if (ratio.id.startsWith('throttle:')) return (1 - ratio.value) / (1 - target);
  return op === '>=' ? ratio.value / target : target / ratio.value;
}

function targets(canvas, results) {
  const rows = results.flatMap((r) =>
    r.ratios
      .filter((x) => x.target && x.value != null)
      .map((x) => ({ ...x, scenario: r.scenario, disturbed: disturbed(r) !== '' })),
  );
  canvas.heading('Targets of issue 6: measured / target (right of the dashed line: met)');
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
export function chart(results) {
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
  return canvas.svg();
}
