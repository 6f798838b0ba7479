/**
 * Prometheus' text format 0.0.4, as the command line's metrics write it (metrics.ts): a family of
 * samples, the request-duration histogram, and label text.
 */

/** Prometheus' default buckets, in seconds. */
export const BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const heading = (name: string, type: string, help: string): string[] => [
  `# HELP ${name} ${help}`,
  `# TYPE ${name} ${type}`,
];

/** One metric's samples by their label text (`{a="b"}`, or `''` for none). */
export class Family {
  readonly samples = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly type: 'counter' | 'gauge',
    readonly help: string,
    unlabelled = true,
  ) {
    if (unlabelled) this.samples.set('', 0);
  }

  add(amount: number, labels = ''): void {
    this.samples.set(labels, (this.samples.get(labels) ?? 0) + amount);
  }

  lines(): string[] {
    const samples = [...this.samples].map(([labels, value]) => `${this.name}${labels} ${value}`);
    return [...heading(this.name, this.type, this.help), ...samples];
  }
}

/** A histogram's numbers as plain data: a count per bucket (BUCKETS' order), sum and count. */
export interface HistogramData {
  buckets: number[];
  sum: number;
  count: number;
}

/** The request duration: cumulative buckets, sum and count; no labels. */
export class Histogram {
  readonly #counts = BUCKETS.map(() => 0);
  #sum = 0;
  #count = 0;

  constructor(readonly name: string) {}

  observe(value: number): void {
    BUCKETS.forEach((bound, i) => value <= bound && (this.#counts[i] += 1));
    this.#sum += value;
    this.#count += 1;
  }

  /** Its numbers, copied. */
  data(): HistogramData {
    return { buckets: [...this.#counts], sum: this.#sum, count: this.#count };
  }

  /** Adds another histogram's numbers (checked by the caller: one count per bucket). */
  add(data: HistogramData): void {
    data.buckets.forEach((n, i) => (this.#counts[i] += n));
    this.#sum += data.sum;
    this.#count += data.count;
  }

  lines(): string[] {
    const { name } = this;
    return [
      ...heading(name, 'histogram', 'Seconds to the end of the answer, or to the 101.'),
      ...BUCKETS.map((bound, i) => `${name}_bucket{le="${bound}"} ${this.#counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.#count}`,
      `${name}_sum ${this.#sum}`,
      `${name}_count ${this.#count}`,
    ];
  }
}

/** A label value escaped as the format wants: backslash, double quote and newline. */
export function labelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** The label text of `pairs`: `{name="value",...}`, values escaped. */
export function label(pairs: Record<string, string>): string {
  const text = Object.entries(pairs).map(([name, value]) => `${name}="${labelValue(value)}"`);
  return `{${text.join(',')}}`;
}
