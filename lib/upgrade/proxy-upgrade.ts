import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { debug } from '../util/debug.js';
import { ProxyError, messageOf, type ProxyErrorCode } from '../errors/proxy-error.js';
import type { ResolvedOptions } from '../options.js';
import type { NodeAgent } from '../types.js';
import { respond } from '../errors/respond.js';
import { serializeHead } from './backend-request.js';
import { prepareUpgrade } from './prepare.js';
import type { Location } from '../util/location.js';
import { dial } from './dial.js';
import { ClientWatch } from './client-watch.js';
import { relayErrorResponse } from './error-response.js';
import { readResponseHead, type ResponseHead } from './response-head.js';
import { tunnel } from './tunnel.js';
import { endOnClose, observe, type Observation } from '../hooks/channels.js';

/** One upgrade request, from either entry point. */
export interface UpgradeSource {
  readonly req: IncomingMessage;
  /** The client's connection. */
  readonly socket: Duplex;
  /** Bytes the client sent after the request head (the `'upgrade'` event's `head`): held until a 101. */
  readonly head: Buffer;
  /** Where the responder answers: the request's own response, or one made on the raw socket when needed. */
  response(): ServerResponse;
  /** True when the socket is ours (the `'upgrade'` event); false when Node's HTTP parser still reads it. */
  readonly raw: boolean;
  /** Path and query relative to the proxy's mount. */
  readonly path: string;
  readonly query: string | null;
}

/** What the upgrade tells its owner about an established tunnel. */
export interface UpgradeHooks {
  opened(): void;
  closed(): void;
  /** True while the owner closes every connection (`close()`): a tunnel ended then was closed by the proxy. */
  readonly closingAll: boolean;
}

function wrapErrors<T>(promise: Promise<T>, code: ProxyErrorCode, prefix: string): Promise<T> {
  return promise.catch((err: unknown) => {
    throw err instanceof ProxyError
      ? err
      : new ProxyError(code, prefix + messageOf(err), { cause: err });
  });
}

/**
 * Writes the request head and, for a plain request, its body re-framed. Never the client's early
 * bytes: they wait for a 101 (see {@link ClientWatch}).
 */
async function send(backend: Duplex, head: string, src: UpgradeSource): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    backend.write(head, 'latin1', (err?: Error | null) => (err ? reject(err) : resolve()));
  });
  const { req } = src;
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (src.raw || (!chunked && Number(req.headers['content-length'] ?? 0) === 0)) return;
  req.on('data', (chunk: Buffer) => {
    const framed = chunked
      ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
      : chunk;
    if (!backend.write(framed)) req.pause();
  });
  backend.on('drain', () => req.resume());
  req.once('end', () => chunked && backend.write('0\r\n\r\n'));
}

/**
 * Prepares the request, dials with the agent for its location, sends, and reads the backend's
 * answer, all within `responseHeaderTimeout`. Null when a user's stage answered the client.
 */
async function handshake(
  options: ResolvedOptions,
  agentFor: (location: Location) => NodeAgent,
  src: UpgradeSource,
  attach: (backend: Duplex) => void,
): Promise<{ backend: Duplex; response: ResponseHead } | null> {
  const prepared = await prepareUpgrade(options, src);
  if (prepared === null) return null;
  const { init, location } = prepared;
  let head: string;
  try {
    head = serializeHead(init);
  } catch (err) {
    throw new ProxyError('ERR_PROXY_WRAP_REQUEST', messageOf(err), { cause: err });
  }
  const backend = await wrapErrors(
    dial(agentFor(location), location, options),
    'ERR_PROXY_DIAL',
    'error dialing backend: ',
  );
  attach(backend);
  await wrapErrors(send(backend, head, src), 'ERR_PROXY_SEND', 'error sending request: ');
  const response = await wrapErrors(readResponseHead(backend), 'ERR_PROXY_UPGRADE_RESPONSE', '');
  return { backend, response };
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers')),
      ms,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Acts on the backend's status (docs/upgrades.md, "What the client sees"); throws what the responder is to get. */
function actOnStatus(
  options: ResolvedOptions,
  src: UpgradeSource,
  backend: Duplex,
  response: ResponseHead,
  early: Buffer[],
  hooks: UpgradeHooks,
  seen: Observation | undefined,
): void {
  if (response.status === 101) {
    if (!src.raw) {
      throw new ProxyError(
        'ERR_PROXY_INVALID_UPGRADE_RESPONSE',
        'invalid upgrade response: status code 101: the request reached the proxy as a plain request ' +
          "(no Upgrade header, or no server 'upgrade' listener), so its connection cannot be switched",
      );
    }
    src.socket.write(response.raw);
    // Before the tunnel resumes the client, so that they reach the backend first and in order.
    for (const chunk of early) backend.write(chunk);
    tunnel(src.socket, backend, options.maxBytesPerSec, (stats) => {
      hooks.closed();
      const held = early.reduce((sum, chunk) => sum + chunk.length, 0);
      seen?.tunnelClose(
        held + stats.bytesIn,
        stats.bytesOut,
        hooks.closingAll ? 'proxy' : stats.closedBy,
      );
    });
    hooks.opened();
    seen?.tunnelOpen();
  } else if (response.status < 400) {
    throw new ProxyError(
      'ERR_PROXY_INVALID_UPGRADE_RESPONSE',
      `invalid upgrade response: status code ${response.status}`,
    );
  } else {
    if (seen) endOnSocketClose(seen, src, () => response.status);
    relayErrorResponse(src.socket, backend, response, src.req.method ?? 'GET');
  }
}

/** Publishes `request:end` for an upgrade that was answered instead of switched, once its connection closes. */
function endOnSocketClose(seen: Observation, src: UpgradeSource, status: () => number): void {
  if (src.raw) src.socket.once('close', () => seen.end(status(), false));
  else endOnClose(seen, src.response());
}

/** A client that left gets nothing: both connections are closed, whatever the handshake was doing. */
function abandon(src: UpgradeSource, backend: Duplex | undefined, reason: string): void {
  backend?.destroy();
  src.socket.destroy();
  debug(
    'upgrade %s %s: the client left during the handshake (%s)',
    src.req.method,
    src.req.url,
    reason,
  );
}

/**
 * The upgrade path (docs/upgrades.md): ask the backend, then act on its status. 101: the client
 * gets the backend's head byte for byte, the backend the client's early bytes, then the tunnel. Below
 * 400: the responder gets `invalid upgrade response` and nothing of the backend's answer reaches
 * the client (the CVE-2020-8559 fix). 400 and above: the answer is relayed and both connections
 * closed (the CVE-2018-1002105 fix). Every error before the switch goes to the responder; the
 * handshake as a whole gets `responseHeaderTimeout`. A client that leaves ends it at once.
 */
export async function proxyUpgrade(
  options: ResolvedOptions,
  agentFor: (location: Location) => NodeAgent,
  src: UpgradeSource,
  hooks: UpgradeHooks,
): Promise<void> {
  let backend: Duplex | undefined;
  let done = false;
  const seen = observe(src.req);
  const watch = new ClientWatch(src.socket, src.raw, src.head);
  const attach = (made: Duplex): void => {
    if (done || watch.gone)
      made.destroy(); // dialled after the deadline, or after the client left
    else backend = made;
  };
  try {
    const asked = withDeadline(
      handshake(options, agentFor, src, attach),
      options.responseHeaderTimeout,
    );
    const result = await Promise.race([asked, watch.left]);
    if (result === 'left' || watch.gone) {
      asked.catch(() => undefined); // its failure, caused by the closing that follows, goes nowhere
      throw new ProxyError('ERR_PROXY_BACKEND_ABORTED', 'the client closed the connection');
    }
    if (result === null) {
      watch.stop(); // a stage answered: the early bytes go nowhere
      if (seen) endOnSocketClose(seen, src, () => src.response().statusCode);
      return;
    }
    actOnStatus(options, src, backend!, result.response, watch.stop(), hooks, seen);
  } catch (err) {
    done = true;
    watch.stop();
    seen?.error(err);
    if (watch.gone) {
      seen?.end(0, true);
      return abandon(src, backend, messageOf(err));
    }
    backend?.destroy();
    const res = src.response();
    if (seen) endOnSocketClose(seen, src, () => res.statusCode);
    respond(options, src.req, res, err);
  }
}
