export { upgradeAware } from './upgrade-aware.js';
export { ProxyError } from './errors/proxy-error.js';
export { routeUpgrades } from './upgrade/route-upgrades.js';
export type { ProxyErrorCode } from './errors/proxy-error.js';
export type {
  NodeAgent,
  UndiciDispatcher,
  Agent,
  Dispatcher,
  ErrorResponder,
  ErrorResponderFunction,
  UpgradeAwareMiddleware,
  UpgradeAwareOptions,
  UpgradeRequestInit,
  UpgradeTransport,
  ProxyHeaders,
  ProxyExchange,
  ProxyResponse,
  RequestStage,
  ResponseStage,
  ProxyStages,
  LocationFunction,
  RequestBody,
} from './types.js';
