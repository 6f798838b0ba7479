// What receives the errors that happen before a response has started.
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Receives every error that happens before the response has started.
 * In the `'upgrade'` listener `res` is a `ServerResponse` bound to the raw socket; the socket is
 * closed after the responder has answered.
 */
export interface ErrorResponder {
  error(err: Error, req: IncomingMessage, res: ServerResponse): void;
}

/** The plain-function form of an {@link ErrorResponder}. */
export type ErrorResponderFunction = (
  err: Error,
  req: IncomingMessage,
  res: ServerResponse,
) => void;
