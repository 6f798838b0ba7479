import { respond } from '../errors/respond.js';
import type { Exchange } from './exchange.js';
import { relay } from './relay.js';
import { rewritingRoundTrip } from '../rewrite/transport.js';
import { host } from './stages/host.js';
import { rejectRedirects } from './stages/reject-redirects.js';
import { requestHeaders } from './stages/request-headers.js';
import { responseHeaders } from './stages/response-headers.js';
import { rootRedirect } from './stages/root-redirect.js';
import type { RequestStage, ResponseStage } from './stage-types.js';
import { targetUrl } from './stages/target-url.js';
import type { RoundTrip } from '../transport/transport.js';
import { upgradeRequired } from './stages/upgrade-required.js';

/**
 * The HTTP path, in Kubernetes' order (docs/architecture.md, "A request"). Upgrades never get here: the caller
 * takes them first. Then: refuse if an upgrade was required; work out the backend path; redirect
 * an empty root path; pick the Host; build the headers; send through the shared transport (with
 * the rewriting transport when configured); on the way back drop hop-by-hop headers, then
 * reject redirects (after any Location rewriting, as Kubernetes does); then stream the body.
 */
export const requestStages: readonly RequestStage[] = [
  upgradeRequired,
  targetUrl,
  rootRedirect,
  host,
  requestHeaders,
];
export const responseStages: readonly ResponseStage[] = [responseHeaders, rejectRedirects];

/**
 * Runs one exchange through the stages and `roundTrip` (the middleware's transport, made once);
 * every error goes to the responder.
 */
export async function proxyRequest(ex: Exchange, roundTrip: RoundTrip): Promise<void> {
  try {
    for (const stage of requestStages) if (stage(ex)) return;
    let response = await (ex.options.rewrite ? rewritingRoundTrip(ex, roundTrip) : roundTrip(ex));
    for (const stage of responseStages) response = stage(ex, response);
    relay(ex, response);
  } catch (err) {
    respond(ex.options, ex.req, ex.res, err);
  }
}
