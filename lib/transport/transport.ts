import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Agent as UndiciAgent } from 'undici';
import type { BackendResponse } from './backend-response.js';
import type { Exchange } from '../http/exchange.js';
import { nodeRoundTrip } from './node.js';
import type { ResolvedOptions } from '../options.js';
import type { NodeAgent, UndiciDispatcher } from '../types.js';
import { undiciRoundTrip } from './undici.js';

/** Sends one exchange's request to the backend and resolves with the answer's head; the body streams after. */
export type RoundTrip = (ex: Exchange) => Promise<BackendResponse>;

/** The backend clients of one middleware: made once from the resolved options, shared by every request. */
export interface Transport {
  /** The HTTP path's round trip, chosen once for the configured client. */
  readonly roundTrip: RoundTrip;
  /** What dials upgrades: `upgradeTransport.agent`, else `transport` when it is an agent, else an agent of our own. */
  readonly upgradeAgent: NodeAgent;
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
function chooseRoundTrip(client: NodeAgent | UndiciDispatcher, fallback: NodeAgent): RoundTrip {
  if (client instanceof http.Agent) return (ex) => nodeRoundTrip(ex, client);
  return (ex) =>
    needsNodeClient(ex.req) ? nodeRoundTrip(ex, fallback) : undiciRoundTrip(ex, client);
}

/**
 * Our own client of the HTTP path when none is given: undici's, with the same keep-alive pooling
 * and TLS defaults as an agent at a lower cost per request, and `maxResponseHeaderSize` applied.
 * undici is loaded here, on first use, not at import: with an agent as `transport` it is never
 * loaded, and the heap it grows at start (fetch, WebSocket, caches) costs back-to-back full
 * collections on large bodies (docs/benchmarks.md, "Transport kinds").
 */
function ownDispatcher(options: ResolvedOptions): UndiciDispatcher {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const { Agent } = require('undici') as { Agent: typeof UndiciAgent };
  return new Agent({
    maxHeaderSize: options.maxResponseHeaderSize,
  }) as unknown as UndiciDispatcher;
}

/** Our own keep-alive agent of the location's scheme, for upgrades (a dispatcher cannot dial them). */
function ownAgent(options: ResolvedOptions): NodeAgent {
  return options.location.protocol === 'https:'
    ? new https.Agent({ keepAlive: true })
    : new http.Agent({ keepAlive: true });
}

/**
 * Builds the backend clients the options did not give, and owns them: the undici Agent of the
 * HTTP path, and the agent upgrades are dialled with unless `transport` or
 * `upgradeTransport.agent` is one. Called once per middleware.
 */
export function createTransport(options: ResolvedOptions): Transport {
  const client = options.transport ?? ownDispatcher(options);
  const upgradeAgent =
    options.upgradeAgent ?? (client instanceof http.Agent ? client : ownAgent(options));
  const owned = [client, upgradeAgent].filter(
    (made) => made !== options.transport && made !== options.upgradeAgent,
  );
  return {
    roundTrip: chooseRoundTrip(client, upgradeAgent),
    upgradeAgent,
    async close() {
      await Promise.all(owned.map((made) => made.destroy()));
    },
  };
}
