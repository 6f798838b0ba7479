// Readers of the backend clients a user may give (`transport`, `upgradeTransport`): only checked
// here; `transport/transport.ts` builds the ones not given.
import http from 'node:http';
import { readFunction } from './values.js';
import type { Location } from '../util/location.js';
import { isHttpsAgent } from '../util/tls-modules.js';
import type { ResolvedOptions } from '../options.js';
import type { UpgradeAwareOptions } from '../types.js';
import type { NodeAgent, UndiciDispatcher } from '../types/clients.js';

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
  const tls = isHttpsAgent(value);
  if (location !== undefined && tls !== (location.protocol === 'https:')) {
    throw new TypeError(
      `option \`${name}\` must be an ${tls ? 'http' : 'https'}.Agent for a ${location.protocol} location`,
    );
  }
  return value;
}

/** `transport`: a dispatcher, an agent of the location's scheme, or undefined. */
export function readTransport(
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

/** `upgradeTransport`: `{ agent?, wrapRequest?, dial? }`, each checked; no other key. */
export function readUpgradeTransport(
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
