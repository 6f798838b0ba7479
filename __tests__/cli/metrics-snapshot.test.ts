// The counts of `--metrics` as plain data (docs/cli.md, "Metrics"): what one process counted,
// added to another's, renders as the two counted together; a snapshot from another process is
// hostile, and what its counting side could not have written is dropped, never thrown on.
import dc from 'node:diagnostics_channel';
import { createMetrics } from '../../lib/cli/metrics.js';
import type { Snapshot } from '../../lib/cli/metrics.js';
import { Tally, readSnapshot, render } from '../../lib/cli/metrics-snapshot.js';

const P = 'upgrade_aware_proxy_';

/** The samples of the text format: `name{labels}` to value (HELP and TYPE lines skipped). */
function parse(text: string): Map<string, number> {
  const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return new Map(
    lines.map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.split(' ').pop())]),
  );
}

const publish = (name: string, message: object): void =>
  dc.channel(`upgrade-aware-proxy:${name}`).publish(message);

/** Counts what `traffic` publishes, with a Metrics of its own; returns its snapshot and text. */
function counted(traffic: () => void): { snapshot: Snapshot; text: string } {
  const metrics = createMetrics('/metrics');
  try {
    traffic();
    return { snapshot: metrics.snapshot(), text: metrics.text() };
  } finally {
    metrics.close();
  }
}

const one = counted(() => {
  publish('request:end', { req: { method: 'GET' }, status: 200, ms: 3, bytesIn: 5, bytesOut: 70 });
  publish('request:end', { req: { method: 'PROPFIND' }, status: 0, ms: 700, aborted: true });
  publish('tunnel:open', { req: { method: 'GET' }, ms: 20 });
  publish('request:error', { error: { code: 'ERR_PROXY_DIAL' } });
});
const two = counted(() => {
  publish('request:end', { req: { method: 'GET' }, status: 200, ms: 40, bytesIn: 1, bytesOut: 9 });
  publish('request:end', { req: { method: 'POST' }, status: 502, ms: 12000, bytesOut: 30 });
  publish('tunnel:open', { req: { method: 'GET' }, ms: 2 });
  publish('tunnel:close', { closedBy: 'backend', bytesIn: 8, bytesOut: 11 });
  publish('request:error', { error: { code: 'ERR_PROXY_BAD_RESPONSE' } });
});

describe('a snapshot', () => {
  it('added to another renders what the two counted, every sample summed, and 2 workers counted', () => {
    const sum = new Tally(0);
    sum.add(one.snapshot);
    sum.add(two.snapshot);
    const expected = new Map(parse(one.text));
    for (const [name, value] of parse(two.text))
      expected.set(name, (expected.get(name) ?? 0) + value);
    expected.set(`${P}workers_counted`, 2);
    const seen = parse(sum.text());
    expect(seen).toEqual(expected);
    // The figures the sum is made of, checked by hand on a few.
    expect(seen.get(`${P}requests_total{method="GET",status_class="2xx"}`)).toBe(2);
    expect(seen.get(`${P}tunnels_open`)).toBe(1);
    expect(seen.get(`${P}request_duration_seconds_bucket{le="0.005"}`)).toBe(2);
    expect(seen.get(`${P}request_duration_seconds_count`)).toBe(6);
    expect(parse(one.text).get(`${P}workers_counted`)).toBe(1);
  });

  it('read back from JSON (the IPC channel) is the same snapshot', () => {
    const copy = readSnapshot(JSON.parse(JSON.stringify(two.snapshot)));
    expect(copy).toEqual(two.snapshot);
    expect(render(copy!)).toBe(two.text);
  });
});

/** A snapshot as it may arrive: any field of any type. */
type Loose = Record<string, unknown> & { samples: Record<string, unknown> };

/** A JSON copy of `base` (`two`'s snapshot) with `change` made to it. */
function altered(change: (copy: Loose) => void, base = two.snapshot): unknown {
  const copy = JSON.parse(JSON.stringify(base)) as Loose;
  change(copy);
  return copy;
}

describe('a hostile snapshot', () => {
  it.each([
    ['null', null],
    ['a string', 'counts'],
    ['no samples', { workers: 1 }],
    ['samples a string', altered((s) => Object.assign(s, { samples: 'x' }))],
    ['workers NaN', altered((s) => (s.workers = NaN))],
    ['workers 0', altered((s) => (s.workers = 0))],
    ['workers 1.5', altered((s) => (s.workers = 1.5))],
    ['workers a string', altered((s) => (s.workers = '2'))],
    ['workers 10,000', altered((s) => (s.workers = 10_000))],
  ])('is refused whole when it is %s', (_what, value) => {
    expect(readSnapshot(value)).toBeUndefined();
  });

  it('keeps only the samples its counting side could have written', () => {
    const junk: [unknown, unknown][] = [
      ['{method="GET",status_class="2xx"}', NaN],
      ['{method="GET",status_class="3xx"}', -1],
      ['{method="GET",status_class="4xx"}', '7'],
      ['{method="GET",status_class="5xx"}', Infinity],
      ['{method="GET",status_class="1xx"}', 2 ** 60],
      ['{method="PROPFIND",status_class="2xx"}', 1],
      ['{method="GET"}', 1],
      ['{method="GET",status_class="2xx"} 1\nfake_metric', 1],
      ['', 1],
      [{ toString: 'x' }, 1],
      [['nested', ['junk']], { deep: [1, 2] }],
      ...Array.from({ length: 10_000 }, (_, i): [string, number] => [
        `{method="M${i}",status_class="2xx"}`,
        1,
      ]),
    ];
    const snapshot = readSnapshot(
      altered((s) => {
        s.samples.requests = [...junk, ['{method="PUT",status_class="2xx"}', 4]];
        s.samples.sent = [['{x="y"}', 5]];
        s.samples.received = [
          ['', 5],
          ['', NaN],
        ];
        s.samples.closed = { closed_by: 'client' };
        s.samples.extra = [['', 1]];
        s.duration = { buckets: [NaN], sum: -1, count: 'many' };
      }, new Tally().snapshot()),
    );
    expect(snapshot).toBeDefined();
    expect(snapshot!.samples.requests).toEqual([]); // the valid PUT was past the first 100 entries
    expect(snapshot!.samples.sent).toEqual([]);
    expect(snapshot!.samples.received).toEqual([['', 5]]);
    expect(snapshot!.samples.closed).toEqual([]);
    expect(snapshot!.duration).toEqual({ buckets: Array(11).fill(0), sum: 0, count: 0 });
    const sum = new Tally(0);
    sum.add(one.snapshot);
    sum.add(snapshot!);
    expect([...parse(sum.text()).keys()]).toEqual([...parse(one.text).keys()]);
  });

  it('adds at most 100 error codes, however many well-formed ones it names', () => {
    const codes = Array.from({ length: 10_000 }, (_, i) => [`{code="ERR_X${i}"}`, 1]);
    const sum = new Tally(0);
    for (let n = 0; n < 3; n += 1)
      sum.add(readSnapshot(altered((s) => (s.samples.errors = codes)))!);
    expect(sum.families.errors.samples.size).toBe(100);
    const more = readSnapshot(altered((s) => (s.samples.errors = codes.slice(5000))))!;
    sum.add(more);
    expect(sum.families.errors.samples.size).toBe(100);
  });
});
