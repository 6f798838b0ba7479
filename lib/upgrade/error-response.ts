import type { Duplex } from 'node:stream';
import { debug } from '../util/debug.js';
import { MessageEnd } from './message-end.js';
import type { ResponseHead } from './response-head.js';

/** Kubernetes' deadline for echoing a failed upgrade (apimachinery 9879817e). */
export const ERROR_RESPONSE_DEADLINE = 10_000;

/**
 * The most of an error answer's body that is relayed: an error page is small, and a backend that
 * sends more is cut off there rather than held in memory for a client that reads slowly.
 */
export const ERROR_BODY_LIMIT = 1024 * 1024;

/**
 * Relays a backend's error answer (status 400 or above) to the client, then closes both
 * connections (the CVE-2018-1002105 fix): nothing more is read from the client, the backend's
 * connection is never reused, and the whole exchange gets 10 seconds at most. The backend is read
 * only as fast as the client takes the bytes; the body is cut off after {@link ERROR_BODY_LIMIT}
 * bytes, and chunked framing that cannot be followed (a line over 4 KiB) ends the relay there.
 */
export function relayErrorResponse(
  client: Duplex,
  backend: Duplex,
  response: ResponseHead,
  method: string,
): void {
  client.pause();
  const end = new MessageEnd(response.status, response.headers, method);
  let done = false;
  let relayed = 0;
  const finish = (): void => {
    if (done) return;
    done = true;
    backend.destroy();
    client.end();
  };
  const deadline = setTimeout(() => {
    backend.destroy();
    client.destroy();
  }, ERROR_RESPONSE_DEADLINE);
  client.once('close', () => clearTimeout(deadline));
  client.once('finish', () => client.destroy());
  client.on('error', () => client.destroy());
  client.on('drain', () => {
    if (!done) backend.resume();
  });
  const forward = (chunk: Buffer): void => {
    if (done) return;
    const used = bodyBytes(end, chunk, ERROR_BODY_LIMIT - relayed);
    relayed += used === -1 ? chunk.length : used;
    if (!client.write(used === -1 ? chunk : chunk.subarray(0, used))) backend.pause();
    if (used !== -1) finish();
  };
  client.write(response.raw.subarray(0, response.headLength));
  if (end.done) return finish();
  const rest = response.raw.subarray(response.headLength);
  if (rest.length > 0) forward(rest);
  if (done) return;
  backend.on('data', forward);
  backend.once('end', finish);
  backend.once('close', finish);
  backend.on('error', finish);
  backend.resume();
}

/**
 * How many bytes of `chunk` to relay and then stop (-1: all of them, and more may follow): where
 * the message ends, where `room` runs out, or where its framing turns out to be unreadable.
 */
function bodyBytes(end: MessageEnd, chunk: Buffer, room: number): number {
  let used: number;
  try {
    used = end.feed(chunk);
  } catch (err) {
    debug('upgrade error answer: %s; closing both connections', (err as Error).message);
    return 0;
  }
  if (used === -1 ? chunk.length <= room : used <= room) return used;
  debug('upgrade error answer: body over %d bytes; closing both connections', ERROR_BODY_LIMIT);
  return room;
}
