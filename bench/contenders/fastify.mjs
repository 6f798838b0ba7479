// @fastify/http-proxy 11 on fastify 5's own server: `upstream` is the backend; with `ws`,
// `websocket: true`, which terminates each WebSocket with `ws` and opens a new one to the backend
// (a message relay, not a raw tunnel). Usage: node fastify.mjs <backend url> [ws]
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';
import { report } from '../harness/serve.mjs';

const [backend, ...modes] = process.argv.slice(2);
// The same keep-alive timeout as the other servers (serve.mjs), so pauses between runs close nothing.
const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
await app.register(proxy, { upstream: backend, websocket: modes.includes('ws') });
await app.listen({ host: '127.0.0.1', port: 0 });
report(app.server.address().port);
