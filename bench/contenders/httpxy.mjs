// httpxy (unjs; the proxy under http-proxy-middleware 4, a maintained fork of http-proxy) used
// directly: `createProxyServer({ target, agent })`, `proxy.web` on every request and, with `ws`,
// `proxy.ws` on the server's `'upgrade'` event. A failed request gets a 502 (or its socket
// destroyed): httpxy emits errors on the proxy and rejects nothing while a listener is there.
// Installed on demand in bench/.node/ (harness/runtimes.mjs).
// Usage: node httpxy.mjs <backend url> [keep-alive] [ws]
import http from 'node:http';
import { available, serve } from '../harness/serve.mjs';
import { importPeer, peerManifest, supports } from '../harness/runtimes.mjs';

const [backend, ...modes] = process.argv.slice(2);
const { createProxyServer } = await available(async () => {
  supports(peerManifest('httpxy'));
  return importPeer('httpxy');
});
const agent = modes.includes('keep-alive') ? { agent: new http.Agent({ keepAlive: true }) } : {};
const proxy = createProxyServer({ target: backend, ...agent });
proxy.on('error', (_err, _req, res) => {
  if (res instanceof http.ServerResponse) {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  } else res?.destroy();
});
const upgrade = (req, socket, head) => proxy.ws(req, socket, {}, head);
await serve(
  (req, res) => proxy.web(req, res),
  modes.includes('ws') ? (server) => server.on('upgrade', upgrade) : undefined,
);
