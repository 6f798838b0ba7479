// `upgrade-aware-proxy/stages`: the ready-made stages (docs/stages.md, "Ready-made stages").
export { setRequestHeaders, removeRequestHeaders } from './request-headers.js';
export { setResponseHeaders, removeResponseHeaders } from './response-headers.js';
export { rewriteCookies } from './rewrite-cookies.js';
export { transformBody } from './transform-body.js';
export { interceptBody } from './intercept-body.js';
export type { HeaderValues } from './header-edits.js';
export type { CookieRewrite, RewriteCookiesOptions } from './rewrite-cookies.js';
export type { BodyStageOptions } from './body-target.js';
export type { BodyTransformFactory } from './transform-body.js';
export type { BodyInterceptor, InterceptBodyOptions } from './intercept-body.js';
