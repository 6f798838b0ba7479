// http-proxy-middleware v3 as a plain node:http handler.
// Usage: node hpm.mjs <backend url> [keep-alive]
// Without an agent, http-proxy sends `Connection: close` and opens one backend connection per
// request (its default); `keep-alive` gives it a pooled agent, like this package's default.
import http from 'node:http';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { serve } from '../serve.mjs';

const [backend, mode] = process.argv.slice(2);
const agent = mode === 'keep-alive' ? { agent: new http.Agent({ keepAlive: true }) } : {};
await serve(createProxyMiddleware({ target: backend, ...agent }));
