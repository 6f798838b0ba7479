// The ES module face of `upgrade-aware-proxy/stages`: the same implementation as `require` gets.
export {
  setRequestHeaders,
  removeRequestHeaders,
  setResponseHeaders,
  removeResponseHeaders,
  rewriteCookies,
  transformBody,
  interceptBody,
} from './index.js';
export type * from './index.js';
