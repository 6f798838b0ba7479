// The transport kinds in turns (`kinds`): each kind of `transport` against its reference, on 1 MiB
// GETs and 64 KiB POSTs, measured so that a slow moment of the machine falls on both sides. In
// `get1m` and `post64k` each contender has one turn a round, up to a minute from its reference's,
// in a new process every round. Here two processes of each kind and two of its reference stay
// alive together and take short turns: the reference's two take every other turn, one after the
// other, and each turn of a kind's process is read against the reference's turns just before and
// just after it (docs/benchmarks.md, "The kinds in turns").
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
import { TRANSPORT_KINDS, contenders } from '../harness/contenders.mjs';
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

/** The kinds by reference: `[[reference, [kind, ...]], ...]`, from TRANSPORT_KINDS. */
function groups() {
  const by = new Map();
  for (const [kind, reference] of TRANSPORT_KINDS)
    by.set(reference, [...(by.get(reference) ?? []), kind]);
  return [...by];
}

/** The specs of one group, `PROCESSES` of each contender, named `<name>#<n>`. */
function groupSpecs(reference, kinds) {
  const specs = contenders([reference, ...kinds]);
  return Array.from({ length: PROCESSES }, (_, i) =>
    specs.map((spec) => ({ ...spec, name: `${spec.name}#${i + 1}` })),
  ).flat();
}

/** The contender a process is of (its name without `#<n>`). */
const contenderOf = (c) => c.name.replace(/#\d+$/, '');

/** The processes of contender `name` in `list`. */
const processesOf = (list, name) => list.filter((c) => contenderOf(c) === name);

/**
 * Takes the turns of one group and resolves with them in order, `{ c, cycle, result }`. The
 * reference's processes (`yardstick`) take every other turn, alternating between them; each cycle
 * gives every process of the kinds (`subjects`) one turn between two of theirs, the order rotated
 * from one cycle to the next. A turn that fails marks its process `failed`, and it takes no more.
 * `measure(c, seconds)` runs one turn; `show(result)` is its line in the log.
 */
async function takeTurns(settings, yardstick, subjects, { measure, show }) {
  const { rounds, duration, warmup, quietWait } = settings;
  for (const c of [...yardstick, ...subjects]) if (warmup > 0) await runOnce(c, warmup, measure);
  const turns = [];
  let next = 0;
  const turn = async (c, cycle) => {
    const result = await runOnce(c, duration, measure, quietWait);
    if (!result) return;
    c.runs.push(result);
    turns.push({ c, cycle, result });
    log(`  cycle ${cycle + 1}/${rounds}  ${c.name.padEnd(20)} ${show(result)}`);
  };
  const yard = async (cycle) => {
    const ready = yardstick.filter(ok);
    if (ready.length) await turn(ready[next++ % ready.length], cycle);
  };
  for (let cycle = 0; cycle < rounds; cycle++) {
    const order = subjects.map((_, i) => subjects[(i + cycle) % subjects.length]);
    for (const c of order.filter(ok)) {
      await yard(cycle);
      await turn(c, cycle);
    }
  }
  await yard(rounds - 1);
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
 * Each subject turn's `key` over the mean of the yardstick turns just before and just after it:
 * `[{ c, cycle, value }]`, for the subject turns that have both neighbours.
 */
function againstNeighbours(turns, isYardstick, key) {
  const out = [];
  turns.forEach(({ c, cycle, result }, i) => {
    const [before, after] = [turns[i - 1], turns[i + 1]];
    if (isYardstick(c) || !before || !after) return;
    if (!isYardstick(before.c) || !isYardstick(after.c)) return;
    const value = ratio(result[key], mean([before.result[key], after.result[key]]));
    out.push({ c, cycle, value });
  });
  return out;
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
 * The method's noise: the reference's first process over its second, each yardstick turn against
 * the other process's turns around it (the yardstick alternates, so those come two turns before
 * and after): a turn of the first over their mean, or their mean over a turn of the second.
 */
function noise(turns, yardstick, key) {
  const [one, two] = yardstick;
  const own = turns.filter((t) => t.c === one || t.c === two);
  const out = [];
  own.forEach((t, i) => {
    const [before, after] = [own[i - 1], own[i + 1]];
    if (!before || !after || before.c === t.c || after.c === t.c) return;
    const around = mean([before.result[key], after.result[key]]);
    out.push(t.c === one ? ratio(t.result[key], around) : ratio(around, t.result[key]));
  });
  return out;
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
async function group(start, settings, load, [reference, kinds], out) {
  const { scenario, shape, name: loadName } = load;
  const specs = groupSpecs(reference, kinds);
  // The TLS group's backend is started by prepareKinds: no plain one for it.
  const plain = specs.some((spec) => !spec.tls);
  const backend = plain ? await start('backends/backend.mjs', [], CPU.backend) : null;
  const list = await prepareKinds(start, specs, backend, {
    path: scenario.path,
    check: scenario.check,
  });
  const yardstick = processesOf(list, reference).filter(ok);
  const subjects = list.filter((c) => ok(c) && contenderOf(c) !== reference);
  if (!yardstick.length) log(`  ${reference}: no process to measure its kinds against`);
  const turns = yardstick.length
    ? await takeTurns(settings, yardstick, subjects, {
        measure: (c, seconds) => run(scenario, c, seconds),
        show: (result) => `${result[shape.rate].toFixed(0).padStart(9)} ${shape.rateUnit}`,
      })
    : [];
  for (const name of [reference, ...kinds])
    if (processesOf(list, name).length) out.rows.push(row(list, name, out.keys));
  const isYardstick = (c) => contenderOf(c) === reference;
  const rates = againstNeighbours(turns, isYardstick, shape.rate);
  const cpus = againstNeighbours(turns, isYardstick, shape.cpu);
  for (const kind of kinds.filter((k) => processesOf(list, k).length)) {
    const rate = byCycle(rates, kind, settings.rounds);
    const cpu = byCycle(cpus, kind, settings.rounds);
    out.cycles[`${kind}/${reference}`] = { rate, cpu };
    out.ratios.push(
      measured(
        `turns:${loadName}:${kind}/${reference}`,
        `${loadName} in turns, ${shape.rateUnit}, ${kind} / ${reference}`,
        middle(rate),
        KIND_TARGET,
      ),
      measured(
        `turns-cpu:${loadName}:${kind}/${reference}`,
        `${loadName} in turns, ${shape.cpuUnit}, ${kind} / ${reference}`,
        middle(cpu),
      ),
    );
  }
  if (yardstick.length === 2) {
    const rate = noise(turns, yardstick, shape.rate);
    out.cycles[`${yardstick[0].name}/${yardstick[1].name}`] = { rate };
    out.ratios.push(
      measured(
        `turns-noise:${loadName}:${reference}`,
        `${loadName} in turns, ${shape.rateUnit}, ${yardstick[0].name} / ${yardstick[1].name} (same code: the method's noise)`,
        middle(rate),
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
      how: `${scenario.connections} connections; ${PROCESSES} processes of each, ${settings.rounds} cycles, turns of ${settings.duration} s (warm-up ${settings.warmup} s), the reference's processes every other turn; each row the medians over its processes' turns`,
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
