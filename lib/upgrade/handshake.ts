import type { Duplex } from 'node:stream';
import { ProxyError, messageOf, type ProxyErrorCode } from '../errors/proxy-error.js';
import type { ResolvedOptions } from '../options.js';
import type { NodeAgent } from '../types/clients.js';
import type { Location } from '../util/location.js';
import { serializeHead } from './backend-request.js';
import { dial } from './dial.js';
import { prepareUpgrade } from './prepare.js';
import { readResponseHead, type ResponseHead } from './response-head.js';
import type { UpgradeSource } from './proxy-upgrade.js';

/** What a handshake hands back: the backend's connection and its answer. */
export interface Answered {
  readonly backend: Duplex;
  readonly response: ResponseHead;
}

/** `err` as the responder is to get it: a ProxyError as it is, anything else under `code`. */
function wrapped(err: unknown, code: ProxyErrorCode, prefix: string): ProxyError {
  return err instanceof ProxyError
    ? err
    : new ProxyError(code, prefix + messageOf(err), { cause: err });
}

/** A plain request's body, re-framed as the client framed it, after the head. */
function forwardBody(backend: Duplex, src: UpgradeSource): void {
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
 * Writes the request head and, for a plain request, its body re-framed. Never the client's early
 * bytes: they wait for a 101 (see `ClientWatch`). Settles once the head is written.
 */
function send(backend: Duplex, head: string, src: UpgradeSource): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    backend.write(head, 'latin1', (err?: Error | null) => {
      if (err) return reject(err);
      forwardBody(backend, src);
      resolve();
    });
  });
}

/** The request head, or `ERR_PROXY_WRAP_REQUEST` for what `wrapRequest` made unwritable. */
function headOf(prepared: Parameters<typeof serializeHead>[0]): string {
  try {
    return serializeHead(prepared);
  } catch (err) {
    throw new ProxyError('ERR_PROXY_WRAP_REQUEST', messageOf(err), { cause: err });
  }
}

/**
 * Prepares the request, dials with the agent for its location, sends, and reads the backend's
 * answer; each step's failure under its own code. `attach` gets the backend's connection as soon
 * as it is open. Null when a user's stage answered the client. One async function, its errors
 * caught in place: each `.catch` or extra async step would be a promise per handshake.
 */
export async function handshake(
  options: ResolvedOptions,
  agentFor: (location: Location) => NodeAgent,
  src: UpgradeSource,
  attach: (backend: Duplex) => void,
): Promise<Answered | null> {
  const ready = prepareUpgrade(options, src);
  const prepared = ready instanceof Promise ? await ready : ready;
  if (prepared === null) return null;
  const { init, location } = prepared;
  const head = headOf(init);
  const agent = agentFor(location);
  let backend: Duplex;
  try {
    backend = await dial(agent, location, options);
  } catch (err) {
    throw wrapped(err, 'ERR_PROXY_DIAL', 'error dialing backend: ');
  }
  attach(backend);
  try {
    await send(backend, head, src);
  } catch (err) {
    throw wrapped(err, 'ERR_PROXY_SEND', 'error sending request: ');
  }
  try {
    return { backend, response: await readResponseHead(backend) };
  } catch (err) {
    throw wrapped(err, 'ERR_PROXY_UPGRADE_RESPONSE', '');
  }
}
