// The backend every recipe test proxies to: plain requests get a JSON echo of what arrived
// (method, path and query, body), WebSocket messages come back as `echo:<message>`, and each
// handshake is recorded. `afterEach(closeAll)` (../cli/helpers.js) closes it.
import type http from 'node:http';
import { startWsBackend } from '../cli/helpers.js';
import type { WsBackend } from '../cli/helpers.js';

/** What the backend received, as its JSON echo reports it. */
export interface Echo {
  method: string;
  url: string;
  body: string;
}

/** Answers with the JSON echo once the request body has arrived. */
function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method ?? '', url: req.url ?? '', body } satisfies Echo));
  });
}

/** Starts the echo backend on 127.0.0.1 at a free port. */
export function startEchoBackend(): Promise<WsBackend> {
  return startWsBackend(echo);
}
