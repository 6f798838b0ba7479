// The one WebSocket client opener of the tests: it waits for the handshake and remembers the
// socket until it closes, so that {@link closeWebSockets} (after each test) can end what a failed
// test left open.
import { once } from 'node:events';
import WebSocket from 'ws';

const open = new Set<WebSocket>();

/**
 * Opens a WebSocket to `url` and resolves once it is open; rejects with the error of a failed
 * handshake (`once` rejects on 'error').
 *
 * @example const ws = await openWebSocket(`ws://127.0.0.1:${proxy.port}/ws`);
 */
export async function openWebSocket(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  open.add(ws);
  ws.once('close', () => open.delete(ws));
  await once(ws, 'open');
  return ws;
}

/** Terminates every WebSocket {@link openWebSocket} opened that is not closed yet. */
export function closeWebSockets(): void {
  for (const ws of open) ws.terminate();
  open.clear();
}
