import { respond } from '../errors/respond.js';
import { ExchangeView } from '../hooks/exchange-view.js';
import { endOnClose, observe } from '../hooks/channels.js';
import { resolveLocation } from '../hooks/location.js';
import { runRequestStages } from '../hooks/run-stages.js';
import type { Exchange } from './exchange.js';
import { relay } from './relay.js';
import { bodyToForward } from './request-body.js';
import { rewritingRoundTrip } from '../rewrite/transport.js';
import { clientHeaders } from './stages/client-headers.js';
import { host } from './stages/host.js';
import { rejectRedirects } from './stages/reject-redirects.js';
import { requestHeaders } from './stages/request-headers.js';
import { responseHeaders } from './stages/response-headers.js';
import { rootRedirect } from './stages/root-redirect.js';
import type { BuiltinRequestStage, BuiltinResponseStage } from './stage-types.js';
import { targetUrl } from './stages/target-url.js';
import type { BackendResponse } from '../transport/backend-response.js';
import type { RoundTrip } from '../transport/transport.js';
import { upgradeRequired } from './stages/upgrade-required.js';
import { runResponseStages } from './user-response.js';

/**
 * The HTTP path, in Kubernetes' order (docs/architecture.md, "A request"). Upgrades never get
 * here: the caller takes them first. Refuse if an upgrade was required; work out the backend
 * path; redirect an empty root path; pick the Host; take the client's headers. Then the user's
 * request stages (docs/stages.md, "Order"), then the clean-up they cannot undo: hop-by-hop
 * headers out, X-Forwarded-For, the framing of the body.
 */
export const requestStages: readonly BuiltinRequestStage[] = [
  upgradeRequired,
  targetUrl,
  rootRedirect,
  host,
  clientHeaders,
];
export const afterUserStages: readonly BuiltinRequestStage[] = [requestHeaders];

/**
 * On the way back: hop-by-hop headers out, then redirects rejected (after any Location
 * rewriting, as Kubernetes does). With user response stages, these run again after them.
 */
export const responseStages: readonly BuiltinResponseStage[] = [responseHeaders, rejectRedirects];

function builtinResponse(ex: Exchange, response: BackendResponse): BackendResponse {
  for (let i = 0; i < responseStages.length; i++) response = responseStages[i]!(ex, response);
  return response;
}

/** The exchange as the user's stages see it; undefined without user stages. */
function viewOf(ex: Exchange): ExchangeView | undefined {
  const { requestStages: request, responseStages: response } = ex.options;
  return request.length + response.length === 0
    ? undefined
    : new ExchangeView(ex.req, () => ex.res, false, ex);
}

/**
 * Runs one exchange through the stages and `roundTrip` (the middleware's transport, made once);
 * every error goes to the responder. Observed through the diagnostics channels when anyone
 * listens (docs/observability.md). One async function on purpose: each await costs a promise on
 * the path of every request.
 */
export async function proxyRequest(ex: Exchange, roundTrip: RoundTrip): Promise<void> {
  const { options } = ex;
  const seen = observe(ex.req);
  if (seen) endOnClose(seen, ex.res);
  try {
    if (options.locate) ex.location = await resolveLocation(options, ex.req);
    // Indexed loops: in this async function `for...of` allocates an iterator on every request.
    for (let i = 0; i < requestStages.length; i++) if (requestStages[i]!(ex)) return;
    const view = viewOf(ex);
    if (view && (await runRequestStages(options.requestStages, view))) return;
    const body = bodyToForward(ex);
    ex.body = body instanceof Promise ? await body : body;
    for (let i = 0; i < afterUserStages.length; i++) if (afterUserStages[i]!(ex)) return;
    let response = builtinResponse(
      ex,
      await (options.rewrite ? rewritingRoundTrip(ex, roundTrip) : roundTrip(ex)),
    );
    if (view && options.responseStages.length > 0)
      response = builtinResponse(ex, await runResponseStages(ex, view, response));
    seen?.response(response.status);
    relay(ex, response);
  } catch (err) {
    seen?.error(err);
    respond(options, ex.req, ex.res, err);
  }
}
