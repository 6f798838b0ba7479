/**
 * The forward proxy for a backend, from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, with the rules
 * of Go's `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy; docs/options.md,
 * "proxyFromEnvironment").
 */
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** What a proxy is chosen for: a location's scheme, host name (no brackets) and port. */
export interface ProxyTarget {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number;
}

/** The proxy for a target, or undefined to dial it directly. Throws under CGI (see below). */
export type ProxyFor = (target: ProxyTarget) => URL | undefined;

type Env = Readonly<Record<string, string | undefined>>;
type Matcher = (host: string, port: string, ip: boolean) => boolean;

/** The first of `names` set to a non-empty value: the upper-case name wins, as in Go. */
function envAny(env: Env, ...names: string[]): string {
  for (const name of names) if (env[name]) return env[name]!;
  return '';
}

/**
 * A proxy URL as Go's `parseProxy` takes it: `host[:port]` gets `http://`; a value that is not a
 * URL either way is ignored. Only http and https proxies can be dialled here.
 * @throws TypeError for a socks5 proxy, naming the variable.
 */
function parseProxy(value: string, name: string): URL | undefined {
  if (value === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:', 'socks5:'].includes(url.protocol) || url.host === '') {
    try {
      url = new URL(`http://${value}`);
    } catch {
      return undefined;
    }
  }
  if (url.protocol === 'socks5:')
    throw new TypeError(
      `option \`proxyFromEnvironment\`: ${name} names a socks5 proxy; only http and https proxies are supported`,
    );
  return url;
}

/** A NO_PROXY entry that is an address or a CIDR block, with its port if one was written. */
function ipMatcher(entry: string): Matcher | undefined {
  const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
  const block = new BlockList();
  if (cidr) {
    const family = isIP(cidr[1]!);
    if (family === 0 || Number(cidr[2]) > (family === 4 ? 32 : 128)) return undefined;
    block.addSubnet(cidr[1]!, Number(cidr[2]), family === 4 ? 'ipv4' : 'ipv6');
    return (host, _port, ip) => ip && block.check(host, isIP(host) === 4 ? 'ipv4' : 'ipv6');
  }
  const [host, port] = splitHostPort(entry);
  const family = isIP(host);
  if (family === 0) return undefined;
  block.addAddress(host, family === 4 ? 'ipv4' : 'ipv6');
  return (h, p, ip) =>
    ip && block.check(h, isIP(h) === 4 ? 'ipv4' : 'ipv6') && (port === '' || port === p);
}

/** Go's `net.SplitHostPort` where it succeeds (brackets removed), else the entry and no port. */
function splitHostPort(entry: string): [string, string] {
  const bracketed = /^\[([^\]]*)\]:(\d*)$/.exec(entry);
  if (bracketed) return [bracketed[1]!, bracketed[2]!];
  const plain = /^([^:[\]]*):(\d*)$/.exec(entry);
  return plain ? [plain[1]!, plain[2]!] : [entry, ''];
}

/** A domain entry: `foo.com` matches it and its subdomains, `.foo.com` and `*.foo.com` subdomains only. */
function domainMatcher(entry: string): Matcher | undefined {
  const [written, port] = splitHostPort(entry);
  if (written === '') return undefined;
  const host = written.startsWith('*.') ? written.slice(1) : written;
  const matchHost = !host.startsWith('.');
  const suffix = '.' + (domainToASCII(host.replace(/^\./, '')) || host.replace(/^\./, ''));
  return (h, p) =>
    (h.endsWith(suffix) || (matchHost && h === suffix.slice(1))) && (port === '' || port === p);
}

/** NO_PROXY as Go's `config.init` reads it: comma-separated, lower-cased, `*` for every host. */
function noProxyMatchers(value: string): Matcher[] {
  const matchers: Matcher[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return [() => true];
    const matcher = ipMatcher(entry) ?? domainMatcher(entry);
    if (matcher) matchers.push(matcher);
  }
  return matchers;
}

/** Go's `useProxy`: never for localhost or a loopback address, nor for a NO_PROXY match. */
function useProxy(matchers: Matcher[], target: ProxyTarget): boolean {
  const host = (domainToASCII(target.hostname) || target.hostname).toLowerCase();
  const ip = isIP(host) !== 0;
  if (host === 'localhost' || (ip && isLoopback(host))) return false;
  const port = String(target.port);
  return !matchers.some((match) => match(host, port, ip));
}

let loopback: BlockList | undefined;

function isLoopback(ip: string): boolean {
  if (!loopback) {
    loopback = new BlockList();
    loopback.addSubnet('127.0.0.0', 8, 'ipv4');
    loopback.addAddress('::1', 'ipv6');
  }
  return loopback.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Reads the environment once and returns what chooses the proxy per target: `HTTPS_PROXY` for
 * https targets, `HTTP_PROXY` for http ones (upper case before lower case), none for `NO_PROXY`
 * matches, localhost and loopback addresses. Under CGI (`REQUEST_METHOD` set) `HTTP_PROXY` may come
 * from a client's `Proxy:` header (httpoxy), so an http target it would apply to fails instead.
 * @param [env=process.env] The environment.
 * @throws TypeError when a variable names a socks5 proxy.
 * @example proxyFromEnvironment({ HTTPS_PROXY: 'proxy:3128' })({ protocol: 'https:', hostname: 'a.io', port: 443 })
 */
export function proxyFromEnvironment(env: Env = process.env): ProxyFor {
  const https = parseProxy(envAny(env, 'HTTPS_PROXY', 'https_proxy'), 'HTTPS_PROXY');
  const http = parseProxy(envAny(env, 'HTTP_PROXY', 'http_proxy'), 'HTTP_PROXY');
  const matchers = noProxyMatchers(envAny(env, 'NO_PROXY', 'no_proxy'));
  const cgi = Boolean(env.REQUEST_METHOD);
  return (target) => {
    const proxy = target.protocol === 'https:' ? https : http;
    if (proxy === undefined) return undefined;
    if (cgi && proxy === http)
      throw new Error(
        'refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy',
      );
    return useProxy(matchers, target) ? proxy : undefined;
  };
}

const NO_PROXY_FOR: ProxyFor = () => undefined;
const made = new WeakMap<object, ProxyFor>();

/**
 * The proxy choice of one middleware, read from the environment the first time it is asked for
 * (when the middleware is made: the transport asks at once), then the same for its lifetime;
 * `proxyFromEnvironment: false` dials every target directly.
 */
export function proxyForOptions(options: { readonly proxyFromEnvironment: boolean }): ProxyFor {
  if (!options.proxyFromEnvironment) return NO_PROXY_FOR;
  let proxyFor = made.get(options);
  if (!proxyFor) made.set(options, (proxyFor = proxyFromEnvironment()));
  return proxyFor;
}
