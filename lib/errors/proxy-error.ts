import { types } from 'node:util';

/**
 * The one error family of the package. Messages are Kubernetes' texts; `code` is stable and
 * documented in docs/errors.md; `status` is what the default responder answers.
 */
export type ProxyErrorCode =
  | 'ERR_PROXY_UPGRADE_REQUIRED'
  | 'ERR_PROXY_BODY_CONSUMED'
  | 'ERR_PROXY_BACKEND_UNREACHABLE'
  | 'ERR_PROXY_BACKEND_TIMEOUT'
  | 'ERR_PROXY_BACKEND_ABORTED'
  | 'ERR_PROXY_DIAL'
  | 'ERR_PROXY_SEND'
  | 'ERR_PROXY_UPGRADE_RESPONSE'
  | 'ERR_PROXY_INVALID_UPGRADE_RESPONSE'
  | 'ERR_PROXY_WRAP_REQUEST'
  | 'ERR_PROXY_BAD_LOCATION'
  | 'ERR_PROXY_BAD_REQUEST'
  | 'ERR_PROXY_BAD_RESPONSE'
  | 'ERR_PROXY_RESOLVE_LOCATION'
  | 'ERR_PROXY_STAGE'
  | 'ERR_PROXY_BODY_TOO_LARGE';

const STATUS: Readonly<Record<ProxyErrorCode, number>> = {
  ERR_PROXY_UPGRADE_REQUIRED: 400,
  ERR_PROXY_BODY_CONSUMED: 500,
  ERR_PROXY_BACKEND_UNREACHABLE: 502,
  ERR_PROXY_BACKEND_TIMEOUT: 504,
  ERR_PROXY_BACKEND_ABORTED: 502,
  ERR_PROXY_DIAL: 502,
  ERR_PROXY_SEND: 502,
  ERR_PROXY_UPGRADE_RESPONSE: 502,
  ERR_PROXY_INVALID_UPGRADE_RESPONSE: 502,
  ERR_PROXY_WRAP_REQUEST: 502,
  ERR_PROXY_BAD_LOCATION: 500,
  ERR_PROXY_BAD_REQUEST: 400,
  ERR_PROXY_BAD_RESPONSE: 502,
  ERR_PROXY_RESOLVE_LOCATION: 500,
  ERR_PROXY_STAGE: 500,
  ERR_PROXY_BODY_TOO_LARGE: 502,
};

/** An error of the proxy, with a stable `code` and the HTTP `status` it answers with. */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  readonly code: ProxyErrorCode;
  readonly status: number;

  /**
   * @param code - the stable code.
   * @param message - the Kubernetes message text.
   * @param options - `status` overrides the code's usual status; `cause` is the underlying error.
   */
  constructor(
    code: ProxyErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? STATUS[code];
  }
}

/** The message of anything thrown, without a stack. */
export function messageOf(err: unknown): string {
  // Not `instanceof Error` alone: Node's own errors (e.g. `connect ECONNREFUSED`) come from the
  // main realm, and fail that test where this code runs in a vm context (Jest's sandbox).
  return err instanceof Error || types.isNativeError(err) ? err.message : String(err);
}
