// The ES module face of the package: the same implementation as `require` gets (no dual-package hazard).
export { upgradeAware, ProxyError, routeUpgrades } from './index.js';
export type * from './index.js';
