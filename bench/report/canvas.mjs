// The drawing primitives of docs/benchmarks.svg (svg.mjs, svg-nodes.mjs): an SVG laid out top to
// bottom, with labels on the left and bars from BAR_X, and the chart's shared colours.
export const WIDTH = 980;
export const LABEL_X = 16;
export const BAR_X = 380;
export const BAR_W = 440;
export const TARGET_MAX = 2;
export const RELATIVE_MAX = 3;
export const REFERENCE = 'hpm';
export const COLOURS = {
  rate: '#4e79a7',
  cpu: '#f28e2b',
  memory: '#59a14f',
  met: '#59a14f',
  missed: '#e15759',
  grid: '#d0d0d0',
};

export const escape = (text) =>
  String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const fixed = (x, digits = 2) => (x == null ? '–' : x.toFixed(digits));

/** An SVG being laid out top to bottom: `y` is where the next row goes. */
export class Canvas {
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
  bar(y, h, value, max, fill, label, size = 11) {
    const clipped = value > max;
    const w = (Math.min(value, max) / max) * BAR_W;
    this.rect(BAR_X, y, w, h, fill);
    if (clipped)
      this.parts.push(`<path d="M${BAR_X + w - 6},${y} l6,${h / 2} l-6,${h / 2} z" fill="#fff"/>`);
    this.text(BAR_X + Math.min(w, BAR_W) + 6, y + h - 1, label, `font-size="${size}"`);
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
export function squeeze(label) {
  const room = BAR_X - LABEL_X - 10;
  return label.length * 5.9 > room ? `textLength="${room}" lengthAdjust="spacingAndGlyphs"` : '';
}

/** How far a ratio is from its target, 1 being on it and more being better. */
export function score(ratio) {
  const { op, value: target } = ratio.target;
  if (ratio.id.startsWith('throttle:')) return (1 - ratio.value) / (1 - target);
  return op === '>=' ? ratio.value / target : target / ratio.value;
}
