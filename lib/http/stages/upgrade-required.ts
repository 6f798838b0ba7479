import { ProxyError } from '../../errors/proxy-error.js';
import type { BuiltinRequestStage } from '../stage-types.js';

/**
 * `upgradeRequired`: a request that reaches the HTTP path is not an upgrade (upgrades are taken
 * before the stages run), so it gets the responder with Kubernetes' 400.
 */
export const upgradeRequired: BuiltinRequestStage = (ex) => {
  if (ex.options.upgradeRequired)
    throw new ProxyError('ERR_PROXY_UPGRADE_REQUIRED', 'Upgrade request required');
  return false;
};
