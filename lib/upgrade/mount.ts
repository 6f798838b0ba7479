import { splitUrl } from '../util/url.js';

/** A request's path and query relative to a mount. */
export interface MountedUrl {
  path: string;
  query: string | null;
}

const PATTERN = /[:*?+()[\]{}]/;

/** An Express application as its mount protocol describes it (`mountpath`, `parent`). */
interface Mounted {
  mountpath?: unknown;
  parent?: unknown;
}

function isPattern(path: unknown): boolean {
  return typeof path !== 'string' || PATTERN.test(path);
}

/** The plain string paths of a mount path (or list), lower-case, without trailing slash; patterns left out. */
function prefixesOf(mountpath: unknown): string[] {
  const paths = Array.isArray(mountpath) ? mountpath : [mountpath];
  return paths
    .filter((path) => !isPattern(path))
    .map((path: string) => path.replace(/\/+$/, '').toLowerCase());
}

/** Where an application itself is mounted, following `parent` up to the top-level app. */
function appPrefixes(app: unknown, depth = 0): string[] {
  const { mountpath, parent } = (app ?? {}) as Mounted;
  if (parent === undefined || depth > 32) return [''];
  const own = prefixesOf(mountpath);
  return appPrefixes(parent, depth + 1).flatMap((prefix) => own.map((path) => prefix + path));
}

/** True when a mount path, or the mount of an application above it, is a pattern. */
function patterned(mountpath: unknown, app: unknown, depth = 0): boolean {
  if ((Array.isArray(mountpath) ? mountpath : [mountpath]).some(isPattern)) return true;
  const { mountpath: outer, parent } = (app ?? {}) as Mounted;
  return parent !== undefined && depth <= 32 && patterned(outer, parent, depth + 1);
}

/**
 * Where the proxy is mounted, as Express and Connect tell a mounted sub-application:
 * `app.use('/proxy', proxy)` sets `proxy.mountpath` and `proxy.parent` (Express 4 and 5) or
 * `proxy.route` (Connect) at mount time, so the upgrade listener knows its mount before the
 * first request; a mount inside a mounted application is followed up through `parent`.
 * Matching follows the frameworks': case-insensitive, at a segment boundary.
 */
export class MountPaths {
  private readonly mounts: { paths: unknown; parent: unknown }[] = [];

  /** Records a mount path the framework reports: a string, a list of them, or a pattern. */
  record(mountpath: unknown): void {
    this.mounts.push({ paths: mountpath, parent: undefined });
  }

  /** Records the application the latest mount was made on (Express sets `parent` after `mountpath`). */
  recordParent(app: unknown): void {
    const last = this.mounts[this.mounts.length - 1];
    if (last) last.parent = app;
  }

  /** True once the proxy has been mounted anywhere. */
  get mounted(): boolean {
    return this.mounts.length > 0;
  }

  /** True when a mount is a pattern or RegExp, which the upgrade listener cannot match (use routeUpgrades). */
  get patterned(): boolean {
    return this.mounts.some(({ paths, parent }) => patterned(paths, parent));
  }

  /** Every full mount prefix the listener can match; patterns are left out. */
  private prefixes(): string[] {
    return this.mounts.flatMap(({ paths, parent }) =>
      appPrefixes(parent).flatMap((outer) => prefixesOf(paths).map((path) => outer + path)),
    );
  }

  /**
   * The request's path relative to the longest matching mount, or undefined when it lies
   * outside every mount (or the mount is a pattern). An unmounted proxy covers every path.
   */
  match(url: string): MountedUrl | undefined {
    const { path, query } = splitUrl(url);
    if (!this.mounted) return { path, query };
    const lower = path.toLowerCase();
    let best: string | undefined;
    for (const prefix of this.prefixes()) {
      const next = lower.charAt(prefix.length);
      if (
        lower.startsWith(prefix) &&
        (next === '' || next === '/') &&
        (best === undefined || prefix.length > best.length)
      )
        best = prefix;
    }
    return best === undefined ? undefined : { path: path.slice(best.length), query };
  }
}

/**
 * Gives `middleware` what Express and Connect look for in a mounted sub-application (`handle`
 * and `set`; Express then sets `mountpath` and `parent` and emits 'mount', Connect sets `route`),
 * so that `app.use('/proxy', proxy)` alone tells the proxy its mount, at mount time.
 */
export function learnMountsFromFramework(
  middleware: (...args: never[]) => void,
  mounts: MountPaths,
): void {
  const told = (record: (value: unknown) => void): PropertyDescriptor => ({
    get: () => undefined,
    set: record,
  });
  Object.defineProperties(middleware, {
    handle: { value: middleware, writable: true },
    set: { value: () => undefined, writable: true },
    emit: { value: () => false, writable: true },
    mountpath: told((path) => mounts.record(path)),
    route: told((path) => mounts.record(path)),
    parent: told((app) => mounts.recordParent(app)),
  });
}
