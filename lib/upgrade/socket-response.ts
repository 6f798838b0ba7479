import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A ServerResponse written straight onto an upgrade's raw socket, so that the default and custom
 * responders answer an upgrade with a real HTTP response (docs/errors.md, "The responder").
 * The connection closes once the response is out.
 */
export function socketResponse(req: IncomingMessage, socket: Duplex): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  return res;
}
