import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageOf } from './proxy-error.js';
import type { ErrorResponder, ErrorResponderFunction } from '../types/responder.js';

/** The status an error answers with: its own `status`, else 502 (a gateway could not do its job). */
export function statusOf(err: unknown): number {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 502;
}

/**
 * The default responder: `status` (502 when none) with a `text/plain` body of the message, no
 * stack trace. With headers already sent the connection is destroyed instead, so the client sees
 * a truncated response, never one that looks complete.
 */
export const defaultResponder: ErrorResponder = {
  error(err: Error, _req: IncomingMessage, res: ServerResponse): void {
    if (res.headersSent) {
      res.destroy(err);
      return;
    }
    const body = messageOf(err) + '\n';
    res.statusCode = statusOf(err);
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  },
};

/** Accepts both forms of the `responder` option. */
export function toResponder(responder: ErrorResponder | ErrorResponderFunction): ErrorResponder {
  return typeof responder === 'function' ? { error: responder } : responder;
}
