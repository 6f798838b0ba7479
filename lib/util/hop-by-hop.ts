/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1, and the RFC 2616 list Go's ReverseProxy also
 * removes). They describe one connection, so the HTTP path drops them in both directions, save
 * `TE: trailers`, `Trailer` and transfer codings other than `chunked`, which the message still
 * needs (docs/getting-started.md, "How paths map"). Upgrades forward them all.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The fixed set and `close`: what `Connection: close` makes hop-by-hop. */
const HOP_BY_HOP_CLOSE: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'close']);

/**
 * The set for the usual single `Connection` line of one name (`keep-alive`, `close`), found
 * without splitting it; undefined for anything else.
 */
function commonConnection(connection: readonly string[]): ReadonlySet<string> | undefined {
  if (connection.length !== 1 || connection[0]!.includes(',')) return undefined;
  const name = connection[0]!.trim().toLowerCase();
  if (name === '' || HOP_BY_HOP.has(name)) return HOP_BY_HOP;
  return name === 'close' ? HOP_BY_HOP_CLOSE : undefined;
}

/**
 * The names to drop from a header list: the fixed hop-by-hop set plus every name listed in any
 * `Connection` header, lower-cased. Returns the fixed set when `Connection` names nothing.
 */
export function hopByHop(connection: readonly string[] | undefined): ReadonlySet<string> {
  if (connection === undefined) return HOP_BY_HOP;
  const common = commonConnection(connection);
  if (common !== undefined) return common;
  let names: Set<string> | undefined;
  for (const line of connection) {
    for (const token of line.split(',')) {
      const name = token.trim().toLowerCase();
      if (name === '' || HOP_BY_HOP.has(name)) continue;
      names ??= new Set(HOP_BY_HOP);
      names.add(name);
    }
  }
  return names ?? HOP_BY_HOP;
}

/** True when any `Connection` header line contains `upgrade`, case-insensitively (docs/differences.md, P12). */
export function isUpgradeRequest(connection: string | string[] | undefined): boolean {
  if (connection === undefined) return false;
  if (typeof connection === 'string') return /upgrade/i.test(connection);
  return connection.some((line) => /upgrade/i.test(line));
}
