import http from 'node:http';
import https from 'node:https';
import { parseLocation, type Location } from './location.js';
import { defaultResponder, toResponder } from './responder.js';
import type { Agent, ErrorResponder, UpgradeAwareOptions, UpgradeRequestInit } from './types.js';

/** Kubernetes' constructor default for `FlushInterval`. */
export const DEFAULT_FLUSH_INTERVAL = 200;
/** How long the backend may take to start its response before the client gets a 504. */
export const DEFAULT_RESPONSE_HEADER_TIMEOUT = 60_000;

/** The options after validation: complete, frozen, shared by the HTTP and the upgrade path. */
export interface ResolvedOptions {
  readonly location: Location;
  readonly upgradeRequired: boolean;
  readonly appendLocationPath: boolean;
  readonly useRequestLocation: boolean;
  readonly useLocationHost: boolean;
  readonly transport: Agent;
  /** True when the middleware made `transport` and so must destroy it on `close()`. */
  readonly ownsTransport: boolean;
  readonly upgradeAgent: Agent;
  readonly wrapRequest: ((init: UpgradeRequestInit) => UpgradeRequestInit | Promise<UpgradeRequestInit>) | undefined;
  /** `wrapTransport`, or no `transport` given: Kubernetes wraps in both cases. */
  readonly rewrite: boolean;
  readonly flushInterval: number;
  readonly maxBytesPerSec: number;
  readonly responder: ErrorResponder;
  readonly rejectForwardingRedirects: boolean;
  readonly responseHeaderTimeout: number;
}

const KNOWN = new Set<string>([
  'location', 'upgradeRequired', 'appendLocationPath', 'useRequestLocation', 'useLocationHost',
  'transport', 'upgradeTransport', 'wrapTransport', 'flushInterval', 'maxBytesPerSec', 'responder',
  'rejectForwardingRedirects', 'responseHeaderTimeout',
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

function agent(value: unknown, name: string, location: Location): Agent | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof http.Agent)) throw new TypeError(`option \`${name}\` must be an http.Agent or https.Agent`);
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
  const given = agent(options.transport, 'transport', location);
  const transport = given ?? (location.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true }));
  const upgrade = upgradeTransport(options, location);
  const flushInterval = options.flushInterval === -1 ? -1 : integer(options, 'flushInterval', DEFAULT_FLUSH_INTERVAL, 0, '-1 or a non-negative integer (ms)');
  return Object.freeze({
    location,
    upgradeRequired: flag(options, 'upgradeRequired'),
    appendLocationPath: flag(options, 'appendLocationPath'),
    useRequestLocation: flag(options, 'useRequestLocation'),
    useLocationHost: flag(options, 'useLocationHost'),
    transport,
    ownsTransport: given === undefined,
    upgradeAgent: upgrade.agent ?? transport,
    wrapRequest: upgrade.wrapRequest,
    rewrite: flag(options, 'wrapTransport') || given === undefined,
    flushInterval,
    maxBytesPerSec: integer(options, 'maxBytesPerSec', 0, 0, 'a non-negative integer (bytes per second)'),
    responder: responder(options.responder),
    rejectForwardingRedirects: flag(options, 'rejectForwardingRedirects'),
    responseHeaderTimeout: integer(options, 'responseHeaderTimeout', DEFAULT_RESPONSE_HEADER_TIMEOUT, 0, 'a non-negative integer (ms)'),
  });
}
