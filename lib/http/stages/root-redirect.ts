import type { BuiltinRequestStage } from '../stage-types.js';

/**
 * Kubernetes' root redirect (apimachinery `proxyRedirectsforRootPath`, kubernetes/kubernetes#4958;
 * docs/options.md, "Root redirect"): when the path to forward is empty, a GET or HEAD is sent to
 * the same URL plus `/`, so relative links in the backend's pages resolve under the proxy. The
 * Location keeps the mount path and the query, escaped as the client sent it
 * (docs/differences.md, "The root redirect's `Location`").
 */
export const rootRedirect: BuiltinRequestStage = (ex) => {
  const { method } = ex.req;
  if (ex.forwardedPath !== '' || (method !== 'GET' && method !== 'HEAD')) return false;
  // Collapse leading slashes: `//evil.example` + `/` must not become a protocol-relative URL.
  // Browsers read `\` as `/` in http URLs (WHATWG URL, special schemes), so `/\evil` counts too.
  const path = (ex.mount + ex.path + '/').replace(/^[/\\]{2,}/, '/');
  ex.res.statusCode = 301;
  ex.res.setHeader('Location', ex.query === null || ex.query === '' ? path : path + '?' + ex.query);
  ex.res.end();
  return true;
};
