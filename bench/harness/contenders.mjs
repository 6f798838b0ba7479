// Every contender, by name: what it is, and how its process is started (a file in contenders/ and
// its arguments after the backend URL). `ws: true`: add `ws` to its arguments in the upgrade
// scenarios (its WebSocket proxying is opt-in). `tls: true`: it reaches the TLS backend (HTTP
// scenarios), and gets `ca=<file>` to trust it. `peer: true`: it is installed on demand in
// bench/.node/ (runtimes.mjs). `direct` has no process: the load goes to the backend.

/** The contender of this package in its default setup; the ratios are of it. */
export const SUBJECT = 'uap';

const ALL = {
  direct: { label: 'direct (no proxy: ceiling)' },
  'node-pipe': { label: 'node:http + keep-alive Agent + pipe (floor)', file: 'node-pipe.mjs' },
  'node-pipe-https': {
    label: 'node:http + keep-alive https.Agent + pipe, TLS backend (floor of uap-https)',
    file: 'node-pipe.mjs',
    tls: true,
  },
  'undici-pool': { label: 'node:http + bare undici Pool (floor)', file: 'undici-pool.mjs' },
  'net-pipe': { label: 'raw socket pipe (tunnel floor)', file: 'net-pipe.mjs' },
  hpm: {
    label: 'http-proxy-middleware 3, keep-alive agent',
    file: 'hpm.mjs',
    args: ['keep-alive'],
    ws: true,
  },
  'hpm-as-shipped': {
    label: 'http-proxy-middleware 3 as shipped (no agent: Connection: close)',
    file: 'hpm.mjs',
  },
  'hpm-express': {
    label: 'http-proxy-middleware 3 in Express 5, keep-alive agent',
    file: 'hpm.mjs',
    args: ['keep-alive', 'express'],
    ws: true,
  },
  hpm4: {
    label: 'http-proxy-middleware 4 (httpxy), keep-alive agent; Node ≥ 22.15',
    file: 'hpm4.mjs',
    args: ['keep-alive'],
    ws: true,
    peer: true,
  },
  httpxy: {
    label: 'httpxy alone (createProxyServer), keep-alive agent',
    file: 'httpxy.mjs',
    args: ['keep-alive'],
    ws: true,
    peer: true,
  },
  'fastify-http-proxy': {
    label: '@fastify/http-proxy 11 on fastify 5',
    file: 'fastify.mjs',
    ws: true,
  },
  uap: { label: 'upgrade-aware-proxy, defaults (rewriting on)', file: 'uap.mjs' },
  'uap-express': {
    label: 'upgrade-aware-proxy in Express 5, defaults',
    file: 'uap.mjs',
    args: ['express'],
  },
  'uap-agent': {
    label: 'upgrade-aware-proxy, http.Agent transport (rewriting off)',
    file: 'uap.mjs',
    args: ['agent'],
  },
  'uap-undici': {
    label: 'upgrade-aware-proxy, undici Agent transport (rewriting off)',
    file: 'uap.mjs',
    args: ['undici'],
  },
  'uap-https': {
    label: 'upgrade-aware-proxy, https.Agent transport, TLS backend (rewriting off)',
    file: 'uap.mjs',
    args: ['https'],
    tls: true,
  },
};

/**
 * This package with each kind of `transport`, and the minimal node:http proxy each is held to
 * (the same client, so the same backend connection): `[contender, reference]`.
 */
export const TRANSPORT_KINDS = [
  ['uap', 'node-pipe'], // default: no transport, undici underneath, rewriting on
  ['uap-undici', 'node-pipe'], // an undici Dispatcher
  ['uap-agent', 'node-pipe'], // an http.Agent
  ['uap-https', 'node-pipe-https'], // an https.Agent to the TLS backend
];

/**
 * The kinds over undici and the bare undici proxy, the same client with nothing of this package
 * around it: `[contender, client alone]`. `kinds` runs the client alone beside them, with no target,
 * to show in each run what the client costs against the reference and what this package adds to it.
 */
export const SAME_CLIENT = [
  ['uap', 'undici-pool'],
  ['uap-undici', 'undici-pool'],
];

/** The HTTP contenders, in the order of the tables. */
export const HTTP = [
  'direct',
  'node-pipe',
  'undici-pool',
  'hpm',
  'hpm-as-shipped',
  'hpm-express',
  'hpm4',
  'httpxy',
  'fastify-http-proxy',
  'uap',
  'uap-express',
  'uap-agent',
  'uap-undici',
  'node-pipe-https',
  'uap-https',
];

/** The contenders that tunnel upgrades. */
export const UPGRADES = [
  'direct',
  'net-pipe',
  'hpm',
  'hpm-express',
  'hpm4',
  'httpxy',
  'fastify-http-proxy',
  'uap',
  'uap-express',
];

let only;

/** Keeps only the contenders named (`--only`, for a quicker look at a few): the others are left out of every scenario. */
export function restrictTo(names) {
  for (const name of names) if (!ALL[name]) throw new RangeError(`unknown contender '${name}'`);
  only = new Set(names);
}

/** Whether `--only` left some contenders out (then no results file is written, and no report). */
export function restricted() {
  return only !== undefined;
}

/**
 * The contenders called `names`, each `{ name, label, file?, args, tls }`; `upgrades` adds `ws` for
 * those that need it, `extra` (name → args) adds scenario-specific arguments.
 */
export function contenders(names, { upgrades = false, extra = {} } = {}) {
  return names
    .filter((name) => only === undefined || only.has(name))
    .map((name) => {
      const spec = ALL[name];
      if (!spec) throw new RangeError(`unknown contender '${name}'`);
      const args = [
        ...(spec.args ?? []),
        ...(upgrades && spec.ws ? ['ws'] : []),
        ...(extra[name] ?? []),
      ];
      return { name, label: spec.label, file: spec.file, args, tls: spec.tls === true };
    });
}

/** Whether any of the contenders still in play (`--only`) is installed on demand (`peer: true`). */
export function needsPeers() {
  return Object.entries(ALL).some(
    ([name, spec]) => spec.peer && (only === undefined || only.has(name)),
  );
}

/** Label of the contender `name`, for tables. */
export function labelOf(name) {
  return ALL[name]?.label ?? name;
}

/** A contender of this package with its own name, label and arguments (`uap.mjs` modes). */
export function subjectWith(name, label, args) {
  return { name, label, file: ALL[SUBJECT].file, args };
}
