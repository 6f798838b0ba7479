// http-proxy-middleware v3 as a plain node:http handler.
// Usage: node hpm.mjs <backend url> [keep-alive] [ws]
// Without an agent, http-proxy sends `Connection: close` and opens one backend connection per
// request (its default); `keep-alive` gives it a pooled agent, like this package's default.
// `ws` turns on its WebSocket proxying (`ws: true`), its upgrade listener wired explicitly
// rather than subscribed lazily on the first plain request. An agent changes nothing for
// upgrades: an upgraded socket leaves the pool.
import http from 'node:http';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { serve } from '../serve.mjs';

const [backend, ...modes] = process.argv.slice(2);
const agent = modes.includes('keep-alive') ? { agent: new http.Agent({ keepAlive: true }) } : {};
const ws = modes.includes('ws');
const hpm = createProxyMiddleware({ target: backend, ws, ...agent });
await serve(hpm, ws ? (server) => server.on('upgrade', hpm.upgrade) : undefined);
