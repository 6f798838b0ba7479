import type { BackendResponse } from '../transport/backend-response.js';

/**
 * The headers Kubernetes' `corsRemovingTransport` deletes (apimachinery upgradeaware.go,
 * `removeCORSHeaders`; docs/rewriting.md, "Response headers"); `-Expose-Headers` and `-Max-Age`
 * stay.
 */
const CORS = [
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
];

/** Removes the backend's CORS grants: the proxy's own origin policy, not the backend's, applies. */
export function removeCors(response: BackendResponse): void {
  for (const name of CORS) response.headers.delete(name);
}
