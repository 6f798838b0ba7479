import type { IncomingMessage } from 'node:http';
import { ProxyError, messageOf } from '../errors/proxy-error.js';
import type { ResolvedOptions } from '../options.js';
import { parseLocation, type Location } from '../util/location.js';

/**
 * The backend of one request: the fixed location, or what the `location` function gives for it,
 * validated as a fixed one is (http or https, a host, no credentials). Called once per request,
 * and the result kept on that request alone.
 * @throws {ProxyError} `ERR_PROXY_RESOLVE_LOCATION` when the function throws, rejects or gives no valid location.
 */
export async function resolveLocation(
  options: ResolvedOptions,
  req: IncomingMessage,
): Promise<Location> {
  if (options.location !== undefined) return options.location;
  try {
    return parseLocation((await options.locate!(req)) as string | URL);
  } catch (err) {
    throw new ProxyError(
      'ERR_PROXY_RESOLVE_LOCATION',
      `error resolving location: ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }
}
