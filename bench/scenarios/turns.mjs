// The transport kinds in turns (`kinds`): each kind of `transport` against its reference, on 1 MiB
// GETs and 64 KiB POSTs, measured so that a slow moment of the machine falls on both sides. In
// `get1m` and `post64k` each contender has one turn a round, up to a minute from its reference's,
// in a new process every round. Here two processes of each kind and two of its reference stay
// alive together and take short turns, each process one a cycle, and each turn of a kind's process
// is read against the reference's turns nearest to it, before and after (docs/benchmarks.md, "The
// kinds in turns").
import {
  CPU,
  log,
  measured,
  median,
  medians,
  ok,
  ratio,
  roundTo,
  runOnce,
  withServers,
  writeResults,
} from '../harness/common.mjs';
import { SAME_CLIENT, TRANSPORT_KINDS, contenders } from '../harness/contenders.mjs';
import { generator, generatorVersion } from '../harness/load.mjs';
import { KIND_TARGET, SCENARIOS, VIEWS, run } from './http.mjs';
import { prepareKinds } from './kinds.mjs';

/** Processes of each kind and of each reference, alive together. */
const PROCESSES = 2;

/** The loads: HTTP scenarios, with the unit of their CPU figure. */
const LOADS = { get1m: 'CPU/MiB', post64k: 'CPU/req' };

/**
 * How a load is read, from its scenario's view in http.mjs: the rate and the CPU figure compared,
 * and its table's columns but latency and errors (the turns compare rate and CPU).
 */
function shapeOf(name) {
  const { chart, columns } = VIEWS[name];
  const kept = columns.filter(({ key }) => key !== 'p99Ms' && key !== 'errors');
  return { ...chart, cpuUnit: LOADS[name], columns: kept };
}

/**
 * The kinds by reference, with the clients alone that some of them run over (SAME_CLIENT):
 * `[[reference, [kind, ...], [client, ...]], ...]`, from TRANSPORT_KINDS.
 */
function groups() {
  const by = new Map();
  for (const [kind, reference] of TRANSPORT_KINDS)
    by.set(reference, [...(by.get(reference) ?? []), kind]);
  return [...by].map(([reference, kinds]) => {
    const clients = SAME_CLIENT.filter(([kind]) => kinds.includes(kind)).map(([, c]) => c);
    return [reference, kinds, [...new Set(clients)]];
  });
}

/**
 * The specs of one group, `PROCESSES` of each contender, named `<name>#<n>`, in the order of the
 * turns: the reference's first process, its kinds' first and its clients' first, the reference's
 * second, and so on.
 */
function groupSpecs(reference, kinds, clients) {
  const specs = contenders([reference, ...kinds, ...clients]);
  return Array.from({ length: PROCESSES }, (_, i) =>
    specs.map((spec) => ({ ...spec, name: `${spec.name}#${i + 1}` })),
  ).flat();
}

/** The contender a process is of (its name without `#<n>`). */
const contenderOf = (c) => c.name.replace(/#\d+$/, '');

/** The processes of contender `name` in `list`. */
const processesOf = (list, name) => list.filter((c) => contenderOf(c) === name);

/**
 * Takes the turns of one group and resolves with them in order, `{ c, cycle, result }`: each
 * cycle gives every process one turn, in the order of `processes` (the reference's spaced among
 * its kinds') rotated from one cycle to the next, so that every process waits as long between
 * its turns. A turn that fails marks its process `failed`, and it takes no more.
 * `measure(c, seconds)` runs one turn; `show(result)` is its line in the log.
 */
async function takeTurns(settings, processes, { measure, show }) {
  const { rounds, duration, warmup, quietWait } = settings;
  for (const c of processes) if (warmup > 0) await runOnce(c, warmup, measure);
  const turns = [];
  for (let cycle = 0; cycle < rounds; cycle++) {
    const order = processes.map((_, i) => processes[(i + cycle) % processes.length]);
    for (const c of order.filter(ok)) {
      const result = await runOnce(c, duration, measure, quietWait);
      if (!result) continue;
      c.runs.push(result);
      turns.push({ c, cycle, result });
      log(`  cycle ${cycle + 1}/${rounds}  ${c.name.padEnd(20)} ${show(result)}`);
    }
  }
  return turns;
}

/** The mean of `xs`, or null if empty. */
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** The median of the ratios that are known, or null. */
function middle(ratios) {
  const known = ratios.filter((x) => x != null);
  return known.length ? roundTo(median(known), 3) : null;
}

/**
 * A reading of `ratios`, one per cycle (`over`: per turn for the noise): their median, with the
 * lowest and the highest beside it (`spread`), so that a reader sees how far one run's cycles lie
 * apart before reading the median against a target.
 */
function reading(id, label, ratios, target, over = 'cycles') {
  const known = ratios.filter((x) => x != null);
  const result = measured(id, label, middle(known), target);
  if (known.length < 2) return result;
  return {
    ...result,
    spread: [roundTo(Math.min(...known), 3), roundTo(Math.max(...known), 3)],
    over,
  };
}

/**
 * The mean of `key` over the turns of `around` (a test on a turn's process) nearest to turn `i`,
 * the one before it and the one after it, or null if there is none.
 */
function nearest(turns, i, around, key) {
  const before = turns.findLast((t, j) => j < i && around(t.c));
  const after = turns.find((t, j) => j > i && around(t.c));
  return mean([before, after].filter(Boolean).map((t) => t.result[key]));
}

/**
 * Each turn of a kind's process, its `key` over the mean of the reference's turns nearest to it,
 * before and after: `[{ c, cycle, value }]`.
 */
function againstNeighbours(turns, isReference, key) {
  return turns
    .map(({ c, cycle, result }, i) =>
      isReference(c)
        ? null
        : { c, cycle, value: ratio(result[key], nearest(turns, i, isReference, key)) },
    )
    .filter(Boolean);
}

/** Per cycle, the mean of `name`'s turn ratios in it (`[ratio | null]`). */
function byCycle(ratios, name, cycles) {
  return Array.from({ length: cycles }, (_, cycle) => {
    const values = ratios
      .filter((r) => contenderOf(r.c) === name && r.cycle === cycle && r.value != null)
      .map((r) => r.value);
    return values.length ? roundTo(mean(values), 3) : null;
  });
}

/**
 * The method's noise: the reference's first process over its second, each turn of the first
 * against the second's turns nearest to it, as a kind's turns are read against the reference's.
 */
function noise(turns, [one, two], key) {
  return turns
    .map((t, i) =>
      t.c === one
        ? ratio(
            t.result[key],
            nearest(turns, i, (c) => c === two, key),
          )
        : null,
    )
    .filter((x) => x != null);
}

/** One row of the table for contender `name`: the medians over every turn of its processes. */
function row(list, name, keys) {
  const processes = processesOf(list, name);
  const measuredOnes = processes.filter(ok);
  const first = measuredOnes[0] ?? processes[0];
  const merged = { ...first, name, runs: measuredOnes.flatMap((c) => c.runs) };
  return medians(merged, keys);
}

/** Runs one group's turns on one load; adds its rows, cycles and ratios to `out`. */
async function group(start, settings, load, [reference, kinds, clients], out) {
  const { scenario, shape, name: loadName } = load;
  const specs = groupSpecs(reference, kinds, clients);
  // The TLS group's backend is started by prepareKinds: no plain one for it.
  const plain = specs.some((spec) => !spec.tls);
  const backend = plain ? await start('backends/backend.mjs', [], CPU.backend) : null;
  const list = await prepareKinds(start, specs, backend, {
    path: scenario.path,
    check: scenario.check,
  });
  const references = processesOf(list, reference).filter(ok);
  if (!references.length) log(`  ${reference}: no process to measure its kinds against`);
  const turns = references.length
    ? await takeTurns(settings, list.filter(ok), {
        measure: (c, seconds) => run(scenario, c, seconds),
        show: (result) => `${result[shape.rate].toFixed(0).padStart(9)} ${shape.rateUnit}`,
      })
    : [];
  for (const name of [reference, ...kinds, ...clients])
    if (processesOf(list, name).length) out.rows.push(row(list, name, out.keys));
  const present = (name) => processesOf(list, name).length > 0;
  const read = (name, against, target, note = '') => {
    const isAgainst = (c) => contenderOf(c) === against;
    const rate = byCycle(againstNeighbours(turns, isAgainst, shape.rate), name, settings.rounds);
    const cpu = byCycle(againstNeighbours(turns, isAgainst, shape.cpu), name, settings.rounds);
    out.cycles[`${name}/${against}`] = { rate, cpu };
    out.ratios.push(
      reading(
        `turns:${loadName}:${name}/${against}`,
        `${loadName} in turns, ${shape.rateUnit}, ${name} / ${against}${note}`,
        rate,
        target,
      ),
      reading(
        `turns-cpu:${loadName}:${name}/${against}`,
        `${loadName} in turns, ${shape.cpuUnit}, ${name} / ${against}${note}`,
        cpu,
      ),
    );
  };
  for (const kind of kinds.filter(present)) read(kind, reference, KIND_TARGET);
  for (const client of clients.filter(present)) {
    read(client, reference, null, ' (the client alone)');
    for (const [kind] of SAME_CLIENT.filter(([k, c]) => c === client && present(k)))
      read(kind, client, null, ' (the same client)');
  }
  if (references.length === 2) {
    const rate = noise(turns, references, shape.rate);
    out.cycles[`${references[0].name}/${references[1].name}`] = { rate };
    out.ratios.push(
      reading(
        `turns-noise:${loadName}:${reference}`,
        `${loadName} in turns, ${shape.rateUnit}, ${references[0].name} / ${references[1].name} (same code: the method's noise)`,
        rate,
        null,
        'turns',
      ),
    );
  }
}

/** Runs the two loads in turns and writes results/kinds.json. */
export async function kindsInTurns(config) {
  const settings = config.settings('kinds');
  const parts = [];
  const ratios = [];
  for (const name of Object.keys(LOADS)) {
    const scenario = SCENARIOS[name];
    const shape = shapeOf(name);
    const keys = Object.fromEntries(shape.columns.map(({ key, digits }) => [key, digits]));
    const out = { rows: [], cycles: {}, ratios, keys };
    for (const g of groups()) {
      if (!groupSpecs(...g).length) continue;
      await withServers((start) => group(start, settings, { scenario, shape, name }, g, out));
    }
    parts.push({
      title: `${scenario.title}, in turns`,
      how: `${scenario.connections} connections; ${PROCESSES} processes of each, ${settings.rounds} cycles of a turn of ${settings.duration} s each (warm-up ${settings.warmup} s), each turn of a kind against the reference's nearest; each row the medians over its processes' turns`,
      columns: shape.columns,
      contenders: out.rows,
      cycles: out.cycles,
    });
  }
  const [first, ...more] = parts;
  await writeResults({
    ...first,
    scenario: 'kinds',
    title: `transport kinds in turns (${parts.map((p) => p.title.replace(/, in turns$/, '')).join('; ')})`,
    how: `${first.title}: ${first.how}, ${generator}`,
    mode: config.mode,
    settings: { ...settings, processes: PROCESSES },
    loadGenerator: await generatorVersion(),
    more,
    ratios,
  });
}
