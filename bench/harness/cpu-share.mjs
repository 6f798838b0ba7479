// How busy a CPU was, from /proc/stat (Linux): used to tell how much of the proxy's CPU other
// processes took during a run (another job on a shared machine skews every figure of that run).
import { readFileSync } from 'node:fs';

/** `{ busy, total }` jiffies of CPU `cpu` so far, or null where /proc/stat is not there. */
export function cpuTicks(cpu) {
  try {
    const line = readFileSync('/proc/stat', 'latin1')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // Interrupt time is left out of `busy`: much of it is the proxy's own network traffic, which
    // its CPU time does not count. Steal (the hypervisor running something else) is in.
    const busy = user + nice + system + steal;
    return { busy, total: busy + idle + iowait + irq + softirq };
  } catch {
    return null;
  }
}

/**
 * The share of CPU `cpu`'s time, between the snapshots `before` and `after` (from `cpuTicks`), that
 * was busy with something other than `ownUs` µs of CPU time spent over `wallUs` µs; null if unknown.
 */
export function foreignShare(before, after, ownUs, wallUs) {
  if (!before || !after || after.total === before.total) return null;
  const busy = (after.busy - before.busy) / (after.total - before.total);
  return Math.max(0, busy - ownUs / wallUs);
}
