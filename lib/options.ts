import http from 'node:http';
import https from 'node:https';
import { parseLocation, type Location } from './util/location.js';
import { defaultResponder, toResponder } from './errors/responder.js';
import type { Duplex } from 'node:stream';
import type {
  ErrorResponder,
  LocationFunction,
  NodeAgent,
  RequestBody,
  RequestStage,
  ResponseStage,
  UndiciDispatcher,
  UpgradeAwareOptions,
  UpgradeRequestInit,
} from './types.js';
import type { IncomingMessage } from 'node:http';

/** Kubernetes' constructor default for `FlushInterval`. */
export const DEFAULT_FLUSH_INTERVAL = 200;
/** How long the backend may take to start its response before the client gets a 504. */
export const DEFAULT_RESPONSE_HEADER_TIMEOUT = 60_000;
/** How long a backend connection may take to be made: Go's DefaultTransport dials with 30 s, as kubectl does. */
export const DEFAULT_CONNECT_TIMEOUT = 30_000;
/** The largest response head the middleware's own backend client accepts: 1 MiB, where Node's and undici's default is 16 KiB. */
export const DEFAULT_MAX_RESPONSE_HEADER_SIZE = 1_048_576;

/**
 * The options after validation: complete, frozen, shared by the HTTP and the upgrade path. The
 * clients are only checked here; `transport/transport.ts` builds the ones not given and owns them.
 */
export interface ResolvedOptions {
  /** The fixed location; undefined when `location` is a function ({@link ResolvedOptions.locate}). */
  readonly location: Location | undefined;
  /** `location` given as a function, called once per request; undefined for a fixed location. */
  readonly locate: LocationFunction | undefined;
  readonly upgradeRequired: boolean;
  readonly appendLocationPath: boolean;
  readonly useRequestLocation: boolean;
  readonly useLocationHost: boolean;
  /** The backend client given as `transport`, checked against the location; undefined when none was given. */
  readonly transport: NodeAgent | UndiciDispatcher | undefined;
  /** The agent given as `upgradeTransport.agent`, checked against the location; undefined when none was given. */
  readonly upgradeAgent: NodeAgent | undefined;
  readonly wrapRequest:
    ((init: UpgradeRequestInit) => UpgradeRequestInit | Promise<UpgradeRequestInit>) | undefined;
  /** `upgradeTransport.dial`. */
  readonly dial: ((location: URL) => Duplex | Promise<Duplex>) | undefined;
  /** `wrapTransport`, or no `transport` given: Kubernetes wraps in both cases. */
  readonly rewrite: boolean;
  readonly flushInterval: number;
  readonly maxBytesPerSec: number;
  readonly responder: ErrorResponder;
  readonly rejectForwardingRedirects: boolean;
  readonly responseHeaderTimeout: number;
  /** Bytes; applies to Node's client and to the undici Agent of our own, not to a given dispatcher. */
  readonly maxResponseHeaderSize: number;
  /** The user's request stages (`stages.request`), a frozen copy; empty when none. */
  readonly requestStages: readonly RequestStage[];
  /** The user's response stages (`stages.response`), a frozen copy; empty when none. */
  readonly responseStages: readonly ResponseStage[];
  readonly requestBody:
    | ((req: IncomingMessage) => RequestBody | undefined | Promise<RequestBody | undefined>)
    | undefined;
  /** ms; 0 leaves it to the operating system. */
  readonly connectTimeout: number;
  readonly proxyFromEnvironment: boolean;
}

const KNOWN = new Set<string>([
  'location',
  'upgradeRequired',
  'appendLocationPath',
  'useRequestLocation',
  'useLocationHost',
  'transport',
  'upgradeTransport',
  'wrapTransport',
  'flushInterval',
  'maxBytesPerSec',
  'responder',
  'rejectForwardingRedirects',
  'responseHeaderTimeout',
  'maxResponseHeaderSize',
  'stages',
  'requestBody',
  'connectTimeout',
  'proxyFromEnvironment',
]);

function readFlag(options: UpgradeAwareOptions, name: keyof UpgradeAwareOptions): boolean {
  const value = options[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`option \`${name}\` must be a boolean`);
  return value;
}

function readInteger(
  options: UpgradeAwareOptions,
  name: keyof UpgradeAwareOptions,
  fallback: number,
  min: number,
  rule: string,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`option \`${name}\` must be a number`);
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`option \`${name}\` must be ${rule}`);
  return value;
}

/** An undici `Dispatcher` (`Agent`, `Pool`, `Client`), told by its `dispatch` method, so that one from another copy of undici counts too. */
function isDispatcher(value: unknown): value is UndiciDispatcher {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof http.Agent) &&
    typeof (value as UndiciDispatcher).dispatch === 'function'
  );
}

/**
 * An `http.Agent` or `https.Agent` whose scheme matches the location's, or undefined when none is
 * given. With a `location` function the scheme is known per request, and checked then.
 */
function readAgent(
  value: unknown,
  name: string,
  location: Location | undefined,
  kinds = 'an http.Agent or https.Agent',
): NodeAgent | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof http.Agent)) throw new TypeError(`option \`${name}\` must be ${kinds}`);
  const tls = value instanceof https.Agent;
  if (location !== undefined && tls !== (location.protocol === 'https:')) {
    throw new TypeError(
      `option \`${name}\` must be an ${tls ? 'http' : 'https'}.Agent for a ${location.protocol} location`,
    );
  }
  return value;
}

/** `transport`: a dispatcher, an agent of the location's scheme, or undefined. */
function readTransport(
  value: unknown,
  location: Location | undefined,
): NodeAgent | UndiciDispatcher | undefined {
  if (isDispatcher(value)) return value;
  return readAgent(
    value,
    'transport',
    location,
    'an http.Agent, an https.Agent or an undici Dispatcher',
  );
}

const UPGRADE_TRANSPORT_KEYS = new Set(['agent', 'wrapRequest', 'dial']);

/** An optional function-valued option. */
function readFunction<T>(value: unknown, name: string): T | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`option \`${name}\` must be a function`);
  return value as T | undefined;
}

function readUpgradeTransport(
  options: UpgradeAwareOptions,
  location: Location | undefined,
): Pick<ResolvedOptions, 'wrapRequest' | 'upgradeAgent' | 'dial'> {
  const value: unknown = options.upgradeTransport;
  if (value === undefined)
    return { upgradeAgent: undefined, wrapRequest: undefined, dial: undefined };
  if (typeof value !== 'object' || value === null)
    throw new TypeError('option `upgradeTransport` must be an object');
  for (const key of Object.keys(value)) {
    if (!UPGRADE_TRANSPORT_KEYS.has(key))
      throw new TypeError(`unknown option \`upgradeTransport.${key}\``);
  }
  const { agent, wrapRequest, dial } = value as Record<string, unknown>;
  return {
    upgradeAgent: readAgent(agent, 'upgradeTransport.agent', location),
    wrapRequest: readFunction(wrapRequest, 'upgradeTransport.wrapRequest'),
    dial: readFunction(dial, 'upgradeTransport.dial'),
  };
}

/** A list of functions, copied and frozen. */
function readStageList<T>(value: unknown, name: string): readonly T[] {
  if (value === undefined) return NONE as readonly T[];
  if (!Array.isArray(value))
    throw new TypeError(`option \`${name}\` must be an array of functions`);
  value.forEach((stage: unknown, i) => {
    if (typeof stage !== 'function')
      throw new TypeError(`option \`${name}[${i}]\` must be a function`);
  });
  return Object.freeze([...(value as T[])]);
}

const NONE: readonly never[] = Object.freeze([]);

/** `stages`: `{ request?, response? }`, each a list of functions. */
function readStages(
  options: UpgradeAwareOptions,
): Pick<ResolvedOptions, 'requestStages' | 'responseStages'> {
  const value: unknown = options.stages;
  if (value === undefined) return { requestStages: NONE, responseStages: NONE };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('option `stages` must be an object with `request` and/or `response` lists');
  for (const key of Object.keys(value)) {
    if (key !== 'request' && key !== 'response')
      throw new TypeError(`unknown option \`stages.${key}\``);
  }
  const { request, response } = value as Record<string, unknown>;
  return {
    requestStages: readStageList<RequestStage>(request, 'stages.request'),
    responseStages: readStageList<ResponseStage>(response, 'stages.response'),
  };
}

/** `location`: fixed (parsed now) or a function (called per request). */
function readLocation(options: UpgradeAwareOptions): Pick<ResolvedOptions, 'location' | 'locate'> {
  if (options.location === undefined) throw new TypeError('option `location` is required');
  if (typeof options.location === 'function')
    return { location: undefined, locate: options.location };
  return { location: parseLocation(options.location), locate: undefined };
}

function readResponder(value: unknown): ErrorResponder {
  if (value === undefined) return defaultResponder;
  if (typeof value === 'function') return toResponder(value as Parameters<typeof toResponder>[0]);
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorResponder).error === 'function'
  ) {
    return toResponder(value as ErrorResponder);
  }
  throw new TypeError(
    'option `responder` must be a function or an object with an `error(err, req, res)` method',
  );
}

/** `flushInterval`: -1, or a non-negative number of ms. */
function readFlushInterval(options: UpgradeAwareOptions): number {
  if (options.flushInterval === -1) return -1;
  return readInteger(
    options,
    'flushInterval',
    DEFAULT_FLUSH_INTERVAL,
    0,
    '-1 or a non-negative integer (ms)',
  );
}

/**
 * Validates `options` and resolves them once. The caller's object is only read, and nothing is
 * built: the backend clients are the transport's (`transport/transport.ts`).
 * @throws TypeError for a wrong type, RangeError for a value out of range; the message names the option.
 */
export function resolveOptions(options: UpgradeAwareOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`unknown option \`${key}\``);
  }
  const { location, locate } = readLocation(options);
  const transport = readTransport(options.transport, location);
  return Object.freeze({
    location,
    locate,
    upgradeRequired: readFlag(options, 'upgradeRequired'),
    appendLocationPath: readFlag(options, 'appendLocationPath'),
    useRequestLocation: readFlag(options, 'useRequestLocation'),
    useLocationHost: readFlag(options, 'useLocationHost'),
    transport,
    ...readUpgradeTransport(options, location),
    rewrite: readFlag(options, 'wrapTransport') || transport === undefined,
    flushInterval: readFlushInterval(options),
    maxBytesPerSec: readInteger(
      options,
      'maxBytesPerSec',
      0,
      0,
      'a non-negative integer (bytes per second)',
    ),
    responder: readResponder(options.responder),
    rejectForwardingRedirects: readFlag(options, 'rejectForwardingRedirects'),
    responseHeaderTimeout: readInteger(
      options,
      'responseHeaderTimeout',
      DEFAULT_RESPONSE_HEADER_TIMEOUT,
      0,
      'a non-negative integer (ms)',
    ),
    maxResponseHeaderSize: readInteger(
      options,
      'maxResponseHeaderSize',
      DEFAULT_MAX_RESPONSE_HEADER_SIZE,
      1,
      'a positive integer (bytes)',
    ),
    ...readStages(options),
    requestBody: readFunction<ResolvedOptions['requestBody']>(options.requestBody, 'requestBody'),
    connectTimeout: readInteger(
      options,
      'connectTimeout',
      DEFAULT_CONNECT_TIMEOUT,
      0,
      'a non-negative integer (ms)',
    ),
    proxyFromEnvironment: readFlag(options, 'proxyFromEnvironment'),
  });
}
