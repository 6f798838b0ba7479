import type { Duplex } from 'node:stream';
import { MessageEnd } from './message-end.js';
import type { ResponseHead } from './response-head.js';

/** Kubernetes' deadline for echoing a failed upgrade (apimachinery 9879817e). */
export const ERROR_RESPONSE_DEADLINE = 10_000;

/**
 * Relays a backend's error answer (status 400 or above) to the client, then closes both
 * connections (the CVE-2018-1002105 fix): nothing more is read from the client, the backend's
 * connection is never reused, and the whole exchange gets 10 seconds at most.
 */
export function relayErrorResponse(client: Duplex, backend: Duplex, response: ResponseHead, method: string): void {
  client.pause();
  const end = new MessageEnd(response.status, response.headers, method);
  let done = false;
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
  const forward = (chunk: Buffer): void => {
    if (done) return;
    const used = end.feed(chunk);
    client.write(used === -1 ? chunk : chunk.subarray(0, used));
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
