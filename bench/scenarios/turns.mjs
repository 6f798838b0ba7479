// The transport kinds in turns (`kinds`): each kind of `transport` against its reference, on 1 MiB
// GETs and 64 KiB POSTs, measured so that a slow moment of the machine falls on both sides. In
// `get1m` and `post64k` each contender has one turn a round, up to a minute from its reference's,
// in a new process every round. Here two processes of each kind and two of its reference stay
// alive together and take short turns, one after the other; a cycle gives every process one turn,
// and each kind's ratio is taken cycle by cycle against its reference's turns of the same cycle
// (docs/benchmarks.md, "Transport kinds in turns").
import {
  CPU,
  interleave,
  measured,
  median,
  medians,
  ok,
  ratio,
  roundTo,
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

/**
 * The specs of one group, `PROCESSES` of each contender, named `<name>#<n>` and in the order of
 * the turns: the reference, then its kinds, then the reference's second process, and so on.
 */
function groupSpecs(reference, kinds) {
  const specs = contenders([reference, ...kinds]);
  return Array.from({ length: PROCESSES }, (_, i) =>
    specs.map((spec) => ({ ...spec, name: `${spec.name}#${i + 1}` })),
  ).flat();
}

/** The processes of contender `name` in `list` (named `<name>#<n>`). */
const processesOf = (list, name) => list.filter((c) => c.name.replace(/#\d+$/, '') === name);

/** The mean of `key` over the turns `processes` had in cycle `cycle`, or null if none had one. */
function cycleMean(processes, cycle, key) {
  const values = processes.map((c) => c.runs[cycle]?.[key]).filter((x) => x != null);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** The median of the ratios that are known, or null. */
function middle(ratios) {
  const known = ratios.filter((x) => x != null);
  return known.length ? roundTo(median(known), 3) : null;
}

/** The processes `of`'s `key` over the processes `to`'s, cycle by cycle (`[ratio | null]`). */
function cycleRatios(of, to, key, cycles) {
  return Array.from({ length: cycles }, (_, cycle) =>
    ratio(cycleMean(of, cycle, key), cycleMean(to, cycle, key)),
  );
}

/** One row of the table for contender `name`: the medians over every turn of its processes. */
function row(list, name, keys) {
  const processes = processesOf(list, name);
  const measuredOnes = processes.filter(ok);
  const first = measuredOnes[0] ?? processes[0];
  const merged = { ...first, name, runs: measuredOnes.flatMap((c) => c.runs) };
  return medians(merged, keys);
}

/** Runs the two loads in turns and writes results/kinds.json. */
export async function kindsInTurns(config) {
  const settings = config.settings('kinds');
  const parts = [];
  const ratios = [];
  for (const shapeName of Object.keys(LOADS)) {
    const scenario = SCENARIOS[shapeName];
    const shape = shapeOf(shapeName);
    const keys = Object.fromEntries(shape.columns.map(({ key, digits }) => [key, digits]));
    const rows = [];
    const cycles = {};
    for (const [reference, kinds] of groups()) {
      const specs = groupSpecs(reference, kinds);
      if (!specs.length) continue;
      await withServers(async (start) => {
        // The TLS group's backend is started by prepareKinds: no plain one for it.
        const plain = specs.some((spec) => !spec.tls);
        const backend = plain ? await start('backends/backend.mjs', [], CPU.backend) : null;
        const list = await prepareKinds(start, specs, backend, {
          path: scenario.path,
          check: scenario.check,
        });
        await interleave(settings, list.filter(ok), (c, seconds) => run(scenario, c, seconds), {
          rate: (r) => r[shape.rate],
          unit: shape.rateUnit,
        });
        for (const name of [reference, ...kinds])
          if (processesOf(list, name).length) rows.push(row(list, name, keys));
        for (const kind of kinds.filter((k) => processesOf(list, k).length)) {
          const [of, to] = [processesOf(list, kind), processesOf(list, reference)];
          const rate = cycleRatios(of, to, shape.rate, settings.rounds);
          const cpu = cycleRatios(of, to, shape.cpu, settings.rounds);
          cycles[`${kind}/${reference}`] = { rate, cpu };
          ratios.push(
            measured(
              `turns:${shapeName}:${kind}/${reference}`,
              `${shapeName} in turns, ${shape.rateUnit}, ${kind} / ${reference}`,
              middle(rate),
              KIND_TARGET,
            ),
            measured(
              `turns-cpu:${shapeName}:${kind}/${reference}`,
              `${shapeName} in turns, ${shape.cpuUnit}, ${kind} / ${reference}`,
              middle(cpu),
            ),
          );
        }
        // The reference's two processes against each other: what the method reads where
        // there is no difference of code.
        const [one, two] = processesOf(list, reference);
        if (two) {
          const rate = cycleRatios([one], [two], shape.rate, settings.rounds);
          cycles[`${one.name}/${two.name}`] = { rate };
          ratios.push(
            measured(
              `turns-noise:${shapeName}:${reference}`,
              `${shapeName} in turns, ${shape.rateUnit}, ${one.name} / ${two.name} (same code: the method's noise)`,
              middle(rate),
            ),
          );
        }
      });
    }
    parts.push({
      title: `${scenario.title}, in turns`,
      how: `${scenario.connections} connections; ${PROCESSES} processes of each, ${settings.rounds} cycles of ${settings.duration}-s turns (warm-up ${settings.warmup} s); each row the medians over its processes' turns`,
      columns: shape.columns,
      contenders: rows,
      cycles,
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
