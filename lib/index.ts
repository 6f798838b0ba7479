export { upgradeAware } from './upgrade-aware.js';
export { ProxyError } from './errors/proxy-error.js';
export { routeUpgrades } from './upgrade/route-upgrades.js';
export type { ProxyErrorCode } from './errors/proxy-error.js';
export type {
  NodeAgent,
  UndiciDispatcher,
  Agent,
  Dispatcher,
  UpgradeRequestInit,
  UpgradeTransport,
} from './types/clients.js';
export type { ErrorResponder, ErrorResponderFunction } from './types/responder.js';
export type {
  ProxyHeaders,
  ProxyExchange,
  ProxyResponse,
  RequestStage,
  ResponseStage,
  ProxyStages,
} from './types/stages.js';
export type {
  UpgradeAwareMiddleware,
  UpgradeAwareOptions,
  LocationFunction,
  RequestBody,
} from './types.js';
