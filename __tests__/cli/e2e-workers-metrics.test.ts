// `--metrics` with `--workers N` on the built command (docs/cli.md, "Metrics"; run `npm run build`
// first): a scrape, whichever worker takes it, shows the counts of every worker added up and how
// many workers they are; the primary waits for a worker's counts a bounded time, and a worker for
// the primary's total, so one that is silent, answers junk or dies still leaves a scrape answered.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnNode, whenWritten } from '../helpers/child.js';
import { request } from '../helpers/servers.js';
import { ROOT, guard, startCliProcess, useBackendAndDir } from './spawn.js';
import type { Backend } from './spawn.js';

let backend: Backend;
let dir: string;

useBackendAndDir('upgrade-aware-workers-metrics-', (b, d) => ([backend, dir] = [b, d]));

const P = 'upgrade_aware_proxy_';

/** The samples of the text format: `name{labels}` to value (HELP and TYPE lines skipped). */
function parse(text: string): Map<string, number> {
  const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return new Map(
    lines.map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.split(' ').pop())]),
  );
}

/** The sum of every `requests_total` series. */
const requests = (seen: Map<string, number>): number =>
  [...seen].reduce((sum, [name, n]) => sum + (name.startsWith(`${P}requests_total{`) ? n : 0), 0);

describe('--workers 2 --metrics', () => {
  it('answers every scrape with the requests of both workers added up, and 2 workers counted', async () => {
    const cli = await startCliProcess([
      ...['--target', backend.url, '--port', '0'],
      ...['--workers', '2', '--metrics', '/metrics'],
    ]);
    const N = 6;
    // A fresh connection each: the primary hands connections to the workers in turn.
    for (let i = 1; i <= N; i += 1) expect((await request(`${cli.url}/m-${i}`)).status).toBe(200);
    // Each line is written from the channel that counts the request, so all N are counted by then.
    const logged = / GET \/m-\d+ 200 .* worker=(\d+)\n/g;
    const stderr = await cli.waitForStderr(
      (text) => (text.match(logged) ?? []).length === N,
      `${N} log lines`,
    );
    const servers = new Set([...stderr.matchAll(logged)].map((m) => m[1]));
    expect(servers.size).toBe(2);
    for (let scrape = 1; scrape <= 4; scrape += 1) {
      const answer = await request(`${cli.url}/metrics`);
      expect(answer.status).toBe(200);
      const seen = parse(answer.body.toString());
      // Scrapes are answered by the command, not proxied: they are not counted.
      expect(requests(seen)).toBe(N);
      expect(seen.get(`${P}requests_total{method="GET",status_class="2xx"}`)).toBe(N);
      expect(seen.get(`${P}request_duration_seconds_count`)).toBe(N);
      expect(seen.get(`${P}workers_counted`)).toBe(2);
    }
    // Both workers answered scrapes: each asked the primary for the other's counts.
    const scrapers = [...cli.output().stderr.matchAll(/ GET \/metrics 200 .* worker=(\d+)\n/g)];
    expect(new Set(scrapers.map((m) => m[1]))).toEqual(servers);
    expect((await cli.stop()).code).toBe(0);
  });
});

/**
 * The command's primary side (dist/cli/metrics-primary.js) and worker side
 * (dist/cli/metrics-worker.js) over two workers: one that counted 3 requests asks for the total
 * (and prints it), the other answers as MODE says. With MODE `no-primary` the primary does not
 * total at all.
 */
const SCRIPT = `
const cluster = require('node:cluster');
const dist = ${JSON.stringify(join(ROOT, 'dist', 'cli'))};
const { totalWorkerMetrics } = require(dist + '/metrics-primary.js');
const { shareWithPrimary, COLLECT, COUNTS } = require(dist + '/metrics-worker.js');
const { Tally } = require(dist + '/metrics-snapshot.js');
const mode = process.env.MODE;
if (cluster.isPrimary) {
  if (mode !== 'no-primary') totalWorkerMetrics();
  const asker = cluster.fork({ ROLE: 'asker' });
  const other = cluster.fork({ ROLE: 'other' });
  other.on('message', (m) => m === 'up' && asker.send('go'));
  asker.on('message', (m) => {
    if (m.total === undefined) return;
    process.stdout.write(JSON.stringify(m.total) + '\\n');
    for (const w of [asker, other]) w.process.kill('SIGKILL');
  });
} else if (process.env.ROLE === 'other') {
  process.on('message', (m) => {
    if (m.kind !== COLLECT) return;
    if (mode === 'exits') process.exit(0);
    if (mode === 'junk') process.send({ kind: COUNTS, id: m.id, counts: { workers: 1, samples: 7 } });
  });
  process.send('up');
} else {
  const tally = new Tally();
  tally.families.requests.add(3, '{method="GET",status_class="2xx"}');
  const sharing = shareWithPrimary(() => tally.snapshot());
  process.on('message', (m) => {
    if (m === 'go') sharing.total(tally.snapshot()).then((total) => process.send({ total }));
  });
}
`;

describe('a scrape with a worker that does not answer', () => {
  it.each([
    ['the other worker stays silent (the primary stops waiting)', 'silent'],
    ['the other worker exits meanwhile', 'exits'],
    ['the other worker answers junk', 'junk'],
    ['the primary does not total (the worker stops waiting)', 'no-primary'],
  ])("is answered with the asking worker's counts when %s", async (_what, mode) => {
    const script = join(dir, 'metrics-workers.js');
    writeFileSync(script, SCRIPT);
    const run = spawnNode(script, [], { ...process.env, MODE: mode });
    try {
      const stdout = await guard(
        whenWritten(
          run.child.stdout!,
          () => run.output().stdout,
          (text) => text.endsWith('\n'),
        ),
        () => `no total: ${JSON.stringify(run.output())}`,
      );
      const total = JSON.parse(stdout) as { workers: number; samples: Record<string, unknown> };
      expect(total.workers).toBe(1);
      expect(total.samples.requests).toEqual([['{method="GET",status_class="2xx"}', 3]]);
      expect(run.output().stderr).toBe('');
    } finally {
      await run.kill();
    }
  });
});
