// http-proxy-middleware v3 in a plain node:http server, or in Express 5.
// Usage: node hpm.mjs <backend url> [keep-alive] [ws] [express]
// Without an agent (as shipped), http-proxy sends `Connection: close` and opens one backend
// connection per request; `keep-alive` gives it a pooled agent, as it is commonly deployed.
// `ws` turns on its WebSocket proxying (`ws: true`), its upgrade listener wired explicitly on the
// server rather than subscribed lazily on the first plain request. `express`: `app.use(hpm)` in an
// Express 5 app, the upgrade wired the same way.
import http from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { serve } from '../harness/serve.mjs';

const [backend, ...modes] = process.argv.slice(2);
const agent = modes.includes('keep-alive') ? { agent: new http.Agent({ keepAlive: true }) } : {};
const ws = modes.includes('ws');
const hpm = createProxyMiddleware({ target: backend, ws, ...agent });
const handler = modes.includes('express') ? express().use(hpm) : hpm;
await serve(handler, ws ? (server) => server.on('upgrade', hpm.upgrade) : undefined);
