import { ProxyError, messageOf } from '../errors/proxy-error.js';
import type { ProxyExchange, RequestStage } from '../types/stages.js';

/**
 * What a user's hook threw, for the responder: a ProxyError as it is, anything else as
 * `ERR_PROXY_STAGE` with the thrown value as `cause` (docs/errors.md).
 */
export function hookError(hook: string, err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError('ERR_PROXY_STAGE', `error in ${hook}: ${messageOf(err)}`, { cause: err });
}

/**
 * Runs the user's request stages in order (docs/stages.md, "Order"), each awaited. True when one
 * answered the client itself: nothing is then sent to the backend.
 * @throws {ProxyError} what a stage threw (see {@link hookError}).
 */
export async function runRequestStages(
  stages: readonly RequestStage[],
  ex: ProxyExchange,
): Promise<boolean> {
  for (const stage of stages) {
    let answered: void | boolean;
    try {
      answered = await stage(ex);
    } catch (err) {
      throw hookError('stage', err);
    }
    if (answered === true) return true;
  }
  return false;
}
