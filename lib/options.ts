// Resolves the options once: the defaults, the result's type, and the readers (options/) in order.
import { readTransport, readUpgradeTransport } from './options/clients.js';
import { readStages } from './options/stages.js';
import {
  readFlag,
  readFunction,
  readInteger,
  readLocation,
  readResponder,
} from './options/values.js';
import type { Location } from './util/location.js';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { LocationFunction, RequestBody, UpgradeAwareOptions } from './types.js';
import type { NodeAgent, UndiciDispatcher, UpgradeRequestInit } from './types/clients.js';
import type { ErrorResponder } from './types/responder.js';
import type { RequestStage, ResponseStage } from './types/stages.js';

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
