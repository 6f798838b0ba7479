// The Node the contenders run on: by default the one running the bench; `--node 22` runs them on
// bench/.node's Node 22 instead (harness/runtimes.mjs), the backends, load clients and orchestrator
// staying on this one, so only the proxies' Node differs from one version's run to the next.
// Such a run's results go to results/node<major>/ (the default run's to results/).
import { nodeBinary } from './runtimes.mjs';
import { nodeVersion } from './processes.mjs';

let current = { execPath: process.execPath, version: process.version, dir: '' };

/**
 * Runs the contenders started from now on on Node `major` (this process's own binary when it is of
 * that major, else bench/.node's), their results going to results/node<major>/.
 */
export function useContenderNode(major) {
  const own = Number(process.versions.node.split('.')[0]) === major;
  const execPath = own ? process.execPath : nodeBinary(major);
  current = { execPath, version: nodeVersion(execPath), dir: `node${major}/` };
  return current;
}

/** `{ execPath, version, dir }`: the contenders' `node`, its version, their results folder under results/. */
export const contenderNode = () => current;
