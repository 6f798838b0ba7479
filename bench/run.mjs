// Runs the benchmark scenarios (all when none is named), then regenerates docs/benchmarks.md's
// tables and docs/benchmarks.svg from bench/results/ (report.mjs).
// Usage: node bench/run.mjs [scenario...] [--quick] [--rounds N] [--duration S] [--quiet-wait S] [--only a,b] [--node 20,22,24] [--glibc-defaults] [--no-report]
// Scenarios: get get1m post64k kinds ws handshakes idle throttle rewrite
// With --node, each scenario runs once per Node version named, the contenders on that Node
// (harness/contender-node.mjs), and its results go to results/node<major>/.
import { parseArgs } from 'node:util';
import { CPU, holdAllocator } from './harness/common.mjs';
import { useContenderNode } from './harness/contender-node.mjs';
import { needsPeers, restrictTo, restricted } from './harness/contenders.mjs';
import { pinSelf } from './harness/processes.mjs';
import { NODE_VERSIONS, ensureInstalled } from './harness/runtimes.mjs';
import { writeReport } from './report.mjs';
import { handshakes } from './scenarios/handshakes.mjs';
import { httpScenario } from './scenarios/http.mjs';
import { idle } from './scenarios/idle.mjs';
import { rewrite } from './scenarios/rewrite.mjs';
import { throttle } from './scenarios/throttle.mjs';
import { kindsInTurns } from './scenarios/turns.mjs';
import { wsEcho } from './scenarios/ws.mjs';

const USAGE =
  'usage: node bench/run.mjs [get|get1m|post64k|kinds|ws|handshakes|idle|throttle|rewrite ...] ' +
  '[--quick] [--rounds N] [--duration S] [--quiet-wait S] [--only contender,...] [--node 20,22,24] ' +
  '[--glibc-defaults] [--no-report]';

const SCENARIOS = {
  get: (config) => httpScenario('get', config),
  get1m: (config) => httpScenario('get1m', config),
  post64k: (config) => httpScenario('post64k', config),
  kinds: kindsInTurns,
  ws: wsEcho,
  handshakes,
  idle,
  throttle,
  rewrite,
  workers: (config) => import('./scenarios/workers.mjs').then((m) => m.workers(config)),
};

/**
 * Rounds, seconds per measured run and seconds of warm-up per contender, by mode and scenario
 * (for `kinds`: cycles, seconds per turn, seconds of warm-up per process).
 * `idle` and `throttle` have no warm-up run: each idle round starts fresh processes and warms them
 * with a few tunnels; a throttle run leaves its first second (quick: half) out of the figure.
 */
const TIMING = {
  default: {
    get: [3, 5, 2],
    get1m: [3, 5, 2],
    post64k: [3, 5, 2],
    kinds: [6, 2, 2],
    ws: [3, 5, 2],
    handshakes: [3, 5, 2],
    idle: [3, 0, 0],
    throttle: [3, 10, 0],
    rewrite: [3, 5, 2],
  },
  quick: {
    get: [1, 1, 2],
    get1m: [1, 1, 2],
    post64k: [1, 1, 2],
    kinds: [1, 1, 1],
    ws: [1, 1, 1],
    handshakes: [1, 1, 1],
    idle: [1, 0, 0],
    throttle: [1, 2, 0],
    rewrite: [1, 1, 2],
  },
};

function positive(values, name) {
  if (values[name] === undefined) return undefined;
  const value = Number(values[name]);
  if (Number.isInteger(value) && value > 0) return value;
  throw new RangeError(`--${name} must be a positive integer`);
}

/** The Node majors of `--node 20,22,24`, each one the bench pins (harness/runtimes.mjs). */
function nodeMajors(list) {
  if (list === undefined) return [];
  const majors = [...new Set(list.split(',').filter(Boolean).map(Number))];
  const unknown = majors.find((major) => !NODE_VERSIONS[major]);
  if (unknown !== undefined || !majors.length)
    throw new RangeError(`--node takes majors among ${Object.keys(NODE_VERSIONS).join(', ')}`);
  return majors;
}

/**
 * Installs what this run needs and bench/.node/ lacks: the Node versions of `--node` other than
 * this one's, and today's peers (without them, those contenders report themselves unavailable).
 */
function install(nodes) {
  const own = Number(process.versions.node.split('.')[0]);
  ensureInstalled({ nodes: nodes.filter((major) => major !== own) });
  if (!needsPeers()) return;
  try {
    ensureInstalled({ peers: true });
  } catch (err) {
    console.error(`bench: today's peers not installed (${err.message}): they will be unavailable`);
  }
}

/** Runs scenario `name`, once per Node of `--node` (else once, on this Node). */
async function runScenario(name, config) {
  for (const major of config.nodes.length ? config.nodes : [undefined]) {
    const node =
      major === undefined ? '' : `, contenders on Node ${useContenderNode(major).version}`;
    const from = performance.now();
    console.error(`\n== ${name} (${config.mode}${node})`);
    await SCENARIOS[name](config);
    console.error(`== ${name}: ${((performance.now() - from) / 1000).toFixed(1)} s`);
  }
}

function settings() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      'no-report': { type: 'boolean', default: false },
      'quiet-wait': { type: 'string' },
      only: { type: 'string' },
      node: { type: 'string' },
      'glibc-defaults': { type: 'boolean', default: false },
    },
  });
  const unknown = positionals.find((name) => !Object.hasOwn(SCENARIOS, name));
  if (unknown !== undefined) throw new RangeError(`unknown scenario '${unknown}'`);
  if (values.only !== undefined) restrictTo(values.only.split(',').filter(Boolean));
  const mode = values.quick ? 'quick' : 'default';
  const rounds = positive(values, 'rounds');
  const duration = positive(values, 'duration');
  const quietWait =
    values['quiet-wait'] === undefined ? (values.quick ? 0 : 30) : Number(values['quiet-wait']);
  if (!(quietWait >= 0))
    throw new RangeError('--quiet-wait must be a number of seconds, 0 or more');
  return {
    nodes: nodeMajors(values.node),
    scenarios: positionals.length ? [...new Set(positionals)] : Object.keys(SCENARIOS),
    mode,
    quick: values.quick,
    report: !values['no-report'],
    holdAllocator: !values['glibc-defaults'],
    settings: (name) => {
      const [r, d, w] = TIMING[mode][name];
      return { rounds: rounds ?? r, duration: d && (duration ?? d), warmup: w, quietWait };
    },
  };
}

async function main() {
  const config = settings();
  install(config.nodes);
  pinSelf(CPU.load);
  if (config.holdAllocator) holdAllocator();
  const started = performance.now();
  for (const name of config.scenarios) await runScenario(name, config);
  console.error(
    `\nbench: ${config.scenarios.join(', ')} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (config.report && !restricted()) await writeReport();
}

main().catch((err) => {
  console.error(`bench: ${err.message}\n${USAGE}`);
  process.exitCode = 1;
});
