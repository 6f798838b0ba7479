import http from 'node:http';
import https from 'node:https';
import { Agent as UndiciAgent } from 'undici';
import type { BackendResponse } from './transport/backend-response.js';
import type { Exchange } from './http/exchange.js';
import { parseLocation, type Location } from './util/location.js';
import { defaultResponder, toResponder } from './errors/responder.js';
import { nodeRoundTrip } from './transport/node.js';
import type { Agent, Dispatcher, ErrorResponder, UpgradeAwareOptions, UpgradeRequestInit } from './types.js';
import { needsNodeClient, undiciRoundTrip } from './transport/undici.js';

/** Kubernetes' constructor default for `FlushInterval`. */
export const DEFAULT_FLUSH_INTERVAL = 200;
/** How long the backend may take to start its response before the client gets a 504. */
export const DEFAULT_RESPONSE_HEADER_TIMEOUT = 60_000;
/** The largest response head the middleware's own backend client accepts: 1 MiB, where Node's and undici's default is 16 KiB. */
export const DEFAULT_MAX_RESPONSE_HEADER_SIZE = 1_048_576;

/** The options after validation: complete, frozen, shared by the HTTP and the upgrade path. */
export interface ResolvedOptions {
  readonly location: Location;
  readonly upgradeRequired: boolean;
  readonly appendLocationPath: boolean;
  readonly useRequestLocation: boolean;
  readonly useLocationHost: boolean;
  /** The backend client of the HTTP path: the given agent or dispatcher, or an undici Agent of our own. */
  readonly transport: Agent | Dispatcher;
  /** The shared transport of the HTTP path, bound to `transport`. */
  readonly roundTrip: (ex: Exchange) => Promise<BackendResponse>;
  /** What the middleware made itself and so must release on `close()`. */
  readonly owned: readonly (Agent | Dispatcher)[];
  readonly upgradeAgent: Agent;
  readonly wrapRequest: ((init: UpgradeRequestInit) => UpgradeRequestInit | Promise<UpgradeRequestInit>) | undefined;
  /** `wrapTransport`, or no `transport` given: Kubernetes wraps in both cases. */
  readonly rewrite: boolean;
  readonly flushInterval: number;
  readonly maxBytesPerSec: number;
  readonly responder: ErrorResponder;
  readonly rejectForwardingRedirects: boolean;
  readonly responseHeaderTimeout: number;
  /** Bytes; applies to Node's client and to the undici Agent of our own, not to a given dispatcher. */
  readonly maxResponseHeaderSize: number;
}

const KNOWN = new Set<string>([
  'location', 'upgradeRequired', 'appendLocationPath', 'useRequestLocation', 'useLocationHost',
  'transport', 'upgradeTransport', 'wrapTransport', 'flushInterval', 'maxBytesPerSec', 'responder',
  'rejectForwardingRedirects', 'responseHeaderTimeout', 'maxResponseHeaderSize',
]);

function flag(options: UpgradeAwareOptions, name: keyof UpgradeAwareOptions): boolean {
  const value = options[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`option \`${name}\` must be a boolean`);
  return value;
}

function integer(options: UpgradeAwareOptions, name: keyof UpgradeAwareOptions, fallback: number, min: number, rule: string): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`option \`${name}\` must be a number`);
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`option \`${name}\` must be ${rule}`);
  return value;
}

/** An undici `Dispatcher` (`Agent`, `Pool`, `Client`), told by its `dispatch` method, so that one from another copy of undici counts too. */
function isDispatcher(value: unknown): value is Dispatcher {
  return typeof value === 'object' && value !== null && !(value instanceof http.Agent) && typeof (value as Dispatcher).dispatch === 'function';
}

function defaultAgent(location: Location): Agent {
  return location.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
}

function agent(value: unknown, name: string, location: Location, kinds = 'an http.Agent or https.Agent'): Agent | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof http.Agent)) throw new TypeError(`option \`${name}\` must be ${kinds}`);
  const tls = value instanceof https.Agent;
  if (tls !== (location.protocol === 'https:')) {
    throw new TypeError(`option \`${name}\` must be an ${tls ? 'http' : 'https'}.Agent for a ${location.protocol} location`);
  }
  return value;
}

function upgradeTransport(options: UpgradeAwareOptions, location: Location): Pick<ResolvedOptions, 'wrapRequest'> & { agent?: Agent } {
  const value: unknown = options.upgradeTransport;
  if (value === undefined) return { wrapRequest: undefined };
  if (typeof value !== 'object' || value === null) throw new TypeError('option `upgradeTransport` must be an object');
  const { agent: dialer, wrapRequest } = value as { agent?: unknown; wrapRequest?: unknown };
  if (wrapRequest !== undefined && typeof wrapRequest !== 'function') {
    throw new TypeError('option `upgradeTransport.wrapRequest` must be a function');
  }
  return {
    agent: agent(dialer, 'upgradeTransport.agent', location),
    wrapRequest: wrapRequest as ResolvedOptions['wrapRequest'],
  };
}

function responder(value: unknown): ErrorResponder {
  if (value === undefined) return defaultResponder;
  if (typeof value === 'function') return toResponder(value as Parameters<typeof toResponder>[0]);
  if (typeof value === 'object' && value !== null && typeof (value as ErrorResponder).error === 'function') {
    return toResponder(value as ErrorResponder);
  }
  throw new TypeError('option `responder` must be a function or an object with an `error(err, req, res)` method');
}

/**
 * Validates `options` and resolves them once. The caller's object is only read.
 * @throws TypeError for a wrong type, RangeError for a value out of range; the message names the option.
 */
export function resolveOptions(options: UpgradeAwareOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`unknown option \`${key}\``);
  }
  if (options.location === undefined) throw new TypeError('option `location` is required');
  const location = parseLocation(options.location);
  const dispatcher = isDispatcher(options.transport) ? options.transport : undefined;
  const given = dispatcher ?? agent(options.transport, 'transport', location, 'an http.Agent, an https.Agent or an undici Dispatcher');
  const maxHeaderSize = integer(options, 'maxResponseHeaderSize', DEFAULT_MAX_RESPONSE_HEADER_SIZE, 1, 'a positive integer (bytes)');
  // Our own client is undici's: the same keep-alive pooling and TLS defaults as an agent, at a lower cost per request.
  const transport = given ?? (new UndiciAgent({ maxHeaderSize }) as unknown as Dispatcher);
  const upgrade = upgradeTransport(options, location);
  // A dispatcher cannot dial raw upgrade connections: upgrades get an agent of their own unless one is given.
  const upgradeAgent = upgrade.agent ?? (transport instanceof http.Agent ? transport : defaultAgent(location));
  const owned = [...(given === undefined ? [transport] : []), ...(upgradeAgent !== transport && upgrade.agent === undefined ? [upgradeAgent] : [])];
  const flushInterval = options.flushInterval === -1 ? -1 : integer(options, 'flushInterval', DEFAULT_FLUSH_INTERVAL, 0, '-1 or a non-negative integer (ms)');
  return Object.freeze({
    location,
    upgradeRequired: flag(options, 'upgradeRequired'),
    appendLocationPath: flag(options, 'appendLocationPath'),
    useRequestLocation: flag(options, 'useRequestLocation'),
    useLocationHost: flag(options, 'useLocationHost'),
    transport,
    roundTrip: transport instanceof http.Agent
      ? (ex: Exchange) => nodeRoundTrip(ex, transport)
      : (ex: Exchange) => (needsNodeClient(ex.req) ? nodeRoundTrip(ex, upgradeAgent) : undiciRoundTrip(ex, transport)),
    owned,
    upgradeAgent,
    wrapRequest: upgrade.wrapRequest,
    rewrite: flag(options, 'wrapTransport') || given === undefined,
    flushInterval,
    maxBytesPerSec: integer(options, 'maxBytesPerSec', 0, 0, 'a non-negative integer (bytes per second)'),
    responder: responder(options.responder),
    rejectForwardingRedirects: flag(options, 'rejectForwardingRedirects'),
    responseHeaderTimeout: integer(options, 'responseHeaderTimeout', DEFAULT_RESPONSE_HEADER_TIMEOUT, 0, 'a non-negative integer (ms)'),
    maxResponseHeaderSize: maxHeaderSize,
  });
}
