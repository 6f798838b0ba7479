import type { Exchange } from './exchange.js';
import type { BackendResponse } from '../transport/backend-response.js';

/**
 * A request stage reads the exchange and fills in what it owns. It returns true when it has
 * answered the client itself (the pipeline stops), and throws a ProxyError to hand an error to
 * the responder.
 */
export type RequestStage = (ex: Exchange) => boolean;

/** A response stage sees the backend's answer and returns it, changed or replaced. */
export type ResponseStage = (ex: Exchange, response: BackendResponse) => BackendResponse;
