import { singleJoiningSlash } from '../../util/url.js';
import type { BuiltinRequestStage } from '../stage-types.js';

function endsWithSlash(path: string): boolean {
  return path.endsWith('/') || /%2f$/i.test(path);
}

/**
 * The backend path and query (docs/options.md, "Backend path"). Without `useRequestLocation` the
 * backend path is the location's, carrying over only the request's trailing slash; with it, the
 * request's own path. `appendLocationPath` joins the location's path in front. The query is
 * always the request's, byte for byte, and paths stay in their raw, escaped form (`%2F` survives).
 */
export const targetUrl: BuiltinRequestStage = (ex) => {
  const { useRequestLocation, appendLocationPath } = ex.options;
  const { location } = ex;
  let path = ex.path;
  if (!useRequestLocation) {
    path = location.path;
    if (!path.endsWith('/') && endsWithSlash(ex.path)) path += '/';
  }
  ex.forwardedPath = path;
  const joined = singleJoiningSlash(appendLocationPath ? location.path : '', path);
  ex.target = ex.query === null ? joined : joined + '?' + ex.query;
  return false;
};
