import { isIPv4, isIPv6 } from 'node:net';
import { goQuote } from './strings.js';
import { Reason, unescape } from './escape.js';
import type { GoUrl } from './url.js';

/** Go's `parseAuthority` and `parseHost` (src/net/url/url.go): `[userinfo@]host[:port]`. */

function checkPort(colonPort: string): void {
  if (/^(:[0-9]*)?$/.test(colonPort)) return;
  throw new Reason(`invalid port ${goQuote(colonPort)} after host`);
}

/** Go's `parseHost`: host[:port], or an IPv6 literal in brackets. */
function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf('[');
  if (open > 0) throw new Reason('invalid IP-literal');
  if (open === 0) return parseIpLiteral(host);
  // go.dev/issue/75223: http(s) hosts hold one colon; other schemes take the last as the port.
  const strict = scheme === 'http' || scheme === 'https';
  const colon = strict ? host.indexOf(':') : host.lastIndexOf(':');
  if (colon >= 0) checkPort(host.slice(colon));
  return unescape(host, 'host');
}

/** RFC 3986 §3.2.2 and RFC 6874: `[v6addr%25zone]:port`; only IPv6 may stand in brackets. */
function parseIpLiteral(host: string): string {
  const close = host.lastIndexOf(']');
  if (close < 0) throw new Reason("missing ']' in host");
  const colonPort = host.slice(close + 1);
  checkPort(colonPort);
  const name = host.slice(1, close);
  const z = name.indexOf('%25');
  const ip = unescape(z < 0 ? name : name.slice(0, z), 'host');
  const address = z < 0 ? ip : ip + unescape(name.slice(z), 'zone');
  // Go asks netip.ParseAddr; node:net's checks agree on the forms that matter here.
  if (isIPv4(address)) throw new Reason('invalid IP-literal');
  const pct = address.indexOf('%');
  if (!isIPv6(pct < 0 ? address : address.slice(0, pct)) || pct === address.length - 1) {
    throw new Reason(`invalid host: ParseAddr(${goQuote(address)}): unable to parse IP`);
  }
  return `[${address}]${unescape(colonPort, 'host')}`;
}

/** Go's `parseAuthority`: userinfo ends at the last '@'. */
export function parseAuthority(scheme: string, authority: string): Pick<GoUrl, 'user' | 'host'> {
  const at = authority.lastIndexOf('@');
  const host = parseHost(scheme, authority.slice(at + 1));
  if (at < 0) return { user: null, host };
  const info = authority.slice(0, at);
  // Go's validUserinfo: RFC 3986 §3.2.1 userinfo, plus '@' (go.dev/issue/3439).
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(info)) {
    throw new Reason('net/url: invalid userinfo');
  }
  const colon = info.indexOf(':');
  if (colon < 0) return { user: { username: unescape(info, 'user'), password: null }, host };
  const username = unescape(info.slice(0, colon), 'user');
  return { user: { username, password: unescape(info.slice(colon + 1), 'user') }, host };
}
