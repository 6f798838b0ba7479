// The transport kinds of the HTTP scenarios: the contenders that reach the TLS backend started
// beside the plain one, and the ratios of this package with each kind of `transport` to the
// minimal node:http proxy with the same client (contenders.mjs, TRANSPORT_KINDS).
import { CPU, log, measured, pick, prepare, ratio } from '../harness/common.mjs';
import { TRANSPORT_KINDS } from '../harness/contenders.mjs';
import { benchTls, tlsAvailable } from '../harness/tls.mjs';

/** `specs` that cannot run, kept in the results as unavailable with `reason`. */
function unavailable(specs, reason) {
  for (const { name } of specs) log(`${name}: unavailable: ${reason}`);
  return specs.map(({ name, label }) => ({ name, label, status: 'unavailable', reason, runs: [] }));
}

/** Starts a TLS backend (the bench certificate) and prepares `specs` in front of it, trusting it. */
async function prepareTls(start, specs, options) {
  if (specs.length === 0) return [];
  if (!tlsAvailable)
    return unavailable(specs, 'openssl is not on PATH: no certificate for the TLS backend');
  const { dir, cert } = benchTls();
  const backend = await start('backends/backend.mjs', [`tls=${dir}`], CPU.backend);
  return prepare(
    start,
    specs.map((s) => ({ ...s, args: [...s.args, `ca=${cert}`] })),
    backend,
    options,
  );
}

/**
 * `prepare` (common.mjs) for a list where some contenders (`tls: true`) reach the TLS backend
 * and the others `backend`; resolves with one object per spec, in the order of `specs`.
 */
export async function prepareKinds(start, specs, backend, options) {
  const plain = await prepare(
    start,
    specs.filter((s) => !s.tls),
    backend,
    options,
  );
  const tls = await prepareTls(
    start,
    specs.filter((s) => s.tls),
    options,
  );
  const all = [...plain, ...tls];
  return specs.map((s) => all.find((c) => c.name === s.name));
}

/**
 * For each transport kind: its rate over its reference's (`rate`, higher is better; `target`,
 * e.g. `['>=', 0.95]`) and its CPU time per unit over the reference's (`cpu`, a figure).
 */
export function kindRatios(summary, { rate, rateUnit, cpu, cpuUnit }, target = null) {
  return TRANSPORT_KINDS.flatMap(([kind, reference]) => {
    const [k, r] = [pick(summary, kind), pick(summary, reference)];
    if (!k && !r) return [];
    return [
      measured(
        `kind:${kind}/${reference}`,
        `${rateUnit}, ${kind} / ${reference}`,
        ratio(k?.[rate], r?.[rate]),
        target,
      ),
      measured(
        `kind-cpu:${kind}/${reference}`,
        `${cpuUnit}, ${kind} / ${reference}`,
        ratio(k?.[cpu], r?.[cpu]),
      ),
    ];
  });
}
