import { splitUrl } from './exchange.js';

/** A request's path and query relative to a mount. */
export interface MountedUrl {
  path: string;
  query: string | null;
}

const PATTERN = /[:*?+()[\]{}]/;

/**
 * Where the proxy is mounted, as Express and Connect tell a mounted sub-application:
 * `app.use('/proxy', proxy)` sets `proxy.mountpath` (Express 4 and 5) or `proxy.route`
 * (Connect) at mount time, so the upgrade listener knows its mount before the first request.
 * Matching follows theirs: case-insensitive, at a segment boundary.
 */
export class MountPaths {
  private readonly prefixes = new Set<string>();
  /** A mount given as a pattern or RegExp: the upgrade listener cannot tell what it covers. */
  patterned = false;

  /** Records what the framework reports; a string path, a list of them, or a pattern. */
  record(mountpath: unknown): void {
    for (const path of Array.isArray(mountpath) ? mountpath : [mountpath]) {
      if (typeof path !== 'string' || PATTERN.test(path)) this.patterned = true;
      else this.prefixes.add(path.replace(/\/+$/, '').toLowerCase());
    }
  }

  /** True once the proxy has been mounted anywhere. */
  get mounted(): boolean {
    return this.patterned || this.prefixes.size > 0;
  }

  /**
   * The request's path relative to the longest matching mount, or undefined when it lies
   * outside every mount. An unmounted proxy covers every path.
   */
  match(url: string): MountedUrl | undefined {
    const { path, query } = splitUrl(url);
    if (!this.mounted) return { path, query };
    const lower = path.toLowerCase();
    let best: string | undefined;
    for (const prefix of this.prefixes) {
      const next = lower.charAt(prefix.length);
      if (lower.startsWith(prefix) && (next === '' || next === '/') && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    if (best === undefined) return undefined;
    return { path: path.slice(best.length), query };
  }
}
