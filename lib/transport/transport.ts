import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { BackendResponse } from './backend-response.js';
import type { Exchange } from '../http/exchange.js';
import { nodeRoundTrip } from './node.js';
import type { ResolvedOptions } from '../options.js';
import type { NodeAgent, UndiciDispatcher } from '../types/clients.js';
import { ProxyError } from '../errors/proxy-error.js';
import type { Location } from '../util/location.js';
import { loadUndici } from './load-undici.js';
import { undiciRoundTrip } from './undici.js';
import { proxiedAgent, undiciConnector, type DialPolicy } from './connector.js';
import { proxyForOptions } from '../util/env-proxy.js';
import { httpsModule, isHttpsAgent } from '../util/tls-modules.js';

/** Sends one exchange's request to the backend and resolves with the answer's head; the body streams after. */
export type RoundTrip = (ex: Exchange) => Promise<BackendResponse>;

/** The backend clients of one middleware: made once from the resolved options, shared by every request. */
export interface Transport {
  /** The HTTP path's round trip, chosen once for the configured client. */
  readonly roundTrip: RoundTrip;
  /**
   * What dials an upgrade to `location`: `upgradeTransport.agent`, else `transport` when it is an
   * agent, else an agent of our own for the location's scheme.
   * @throws {ProxyError} `ERR_PROXY_RESOLVE_LOCATION` when the given agent is of the other scheme.
   */
  agentFor(location: Location): NodeAgent;
  /** Releases the clients this transport made; a client the user gave is never destroyed. */
  close(): Promise<void>;
}

/**
 * Whether a request needs Node's HTTP client: undici sends no `Expect` (the backend must see it,
 * as Go forwards it), no request trailers, and no transfer coding but `chunked`.
 */
export function needsNodeClient(req: IncomingMessage): boolean {
  const { headers } = req;
  const te = headers['transfer-encoding'];
  return (
    headers.expect !== undefined ||
    headers.trailer !== undefined ||
    (te !== undefined && !/^\s*chunked\s*$/i.test(te))
  );
}

/**
 * The round trip for `client`, one function made once. An agent takes every request through
 * Node's client; a dispatcher takes all but what {@link needsNodeClient} names, which goes through
 * Node's client on `fallback`. A new kind of client is one more file and one more branch here.
 */
function chooseRoundTrip(
  client: NodeAgent | UndiciDispatcher,
  fallback: (location: Location) => NodeAgent,
): RoundTrip {
  if (client instanceof http.Agent) {
    const agentFor = schemeChecked(client, 'transport');
    return (ex) => nodeRoundTrip(ex, agentFor(ex.location));
  }
  return (ex) =>
    needsNodeClient(ex.req)
      ? nodeRoundTrip(ex, fallback(ex.location))
      : undiciRoundTrip(ex, client);
}

/**
 * A given agent, for the locations of its scheme. With a fixed location the options checked it
 * once; with a `location` function each location is checked (docs/options.md, "location").
 */
function schemeChecked(agent: NodeAgent, name: string): (location: Location) => NodeAgent {
  const tls = isHttpsAgent(agent);
  return (location) => {
    if (tls === (location.protocol === 'https:')) return agent;
    throw new ProxyError(
      'ERR_PROXY_RESOLVE_LOCATION',
      `error resolving location: ${location.protocol} location ${location.href}, but \`${name}\` is an ${tls ? 'https' : 'http'}.Agent`,
    );
  };
}

/**
 * Our own client of the HTTP path when none is given: undici's, with the same keep-alive pooling
 * and TLS defaults as an agent at a lower cost per request, `maxResponseHeaderSize` applied, and
 * connections made as the {@link DialPolicy} says (proxy, `connectTimeout`).
 * undici is loaded here, on first use, not at import (with an agent as `transport` it is never
 * loaded), and only the parts used ({@link loadUndici}).
 */
function ownDispatcher(options: ResolvedOptions, policy: DialPolicy): UndiciDispatcher {
  const { Agent, buildConnector } = loadUndici();
  return new Agent({
    maxHeaderSize: options.maxResponseHeaderSize,
    connect: undiciConnector(buildConnector, policy),
  }) as unknown as UndiciDispatcher;
}

/**
 * Our own keep-alive agents, one per scheme, each made on first use: for upgrades (a dispatcher
 * cannot dial them) and for what undici cannot send; with `proxyFromEnvironment`, agents that
 * tunnel through the proxy. `made` collects them for `close()`.
 */
function ownAgents(
  made: NodeAgent[],
  policy: DialPolicy | undefined,
): (location: Location) => NodeAgent {
  let plain: NodeAgent | undefined;
  let tls: NodeAgent | undefined;
  const keep = (secure: boolean): NodeAgent => {
    const agent = policy
      ? proxiedAgent(secure, policy)
      : new (secure ? httpsModule().Agent : http.Agent)({ keepAlive: true });
    made.push(agent);
    return agent;
  };
  return (location) =>
    location.protocol === 'https:' ? (tls ??= keep(true)) : (plain ??= keep(false));
}

/**
 * Builds the backend clients the options did not give, and owns them: the undici Agent of the
 * HTTP path, and the agent upgrades are dialled with unless `transport` or
 * `upgradeTransport.agent` is one. Called once per middleware; with `proxyFromEnvironment` the
 * environment is read now. A client given as `transport` connects as it was made to: neither the
 * environment's proxy nor `connectTimeout` is added to a dispatcher (Node's client times any agent).
 */
export function createTransport(options: ResolvedOptions): Transport {
  // The environment is read here, once, when the middleware is made (docs/options.md, "proxyFromEnvironment").
  const policy = { proxyFor: proxyForOptions(options), connectTimeout: options.connectTimeout };
  const client = options.transport ?? ownDispatcher(options, policy);
  const owned: (NodeAgent | UndiciDispatcher)[] = client === options.transport ? [] : [client];
  const given = options.upgradeAgent ?? (client instanceof http.Agent ? client : undefined);
  const agentFor = given
    ? schemeChecked(given, options.upgradeAgent ? 'upgradeTransport.agent' : 'transport')
    : ownAgents(owned as NodeAgent[], options.proxyFromEnvironment ? policy : undefined);
  return {
    roundTrip: chooseRoundTrip(client, agentFor),
    agentFor,
    async close() {
      await Promise.all(owned.map((made) => made.destroy()));
    },
  };
}
