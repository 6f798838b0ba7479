import type { Exchange } from './exchange.js';
import type { BackendResponse } from '../transport/backend-response.js';

/**
 * A built-in request stage reads the exchange and fills in what it owns. It returns true when it
 * has answered the client itself (the pipeline stops), and throws a ProxyError to hand an error
 * to the responder. The user's stages have their own, public type (`RequestStage` in types.ts).
 */
export type BuiltinRequestStage = (ex: Exchange) => boolean;

/** A built-in response stage sees the backend's answer and returns it, changed or replaced. */
export type BuiltinResponseStage = (ex: Exchange, response: BackendResponse) => BackendResponse;
