// http-proxy-middleware 4 (on httpxy) in a plain node:http server, or in Express 5: the same
// setups as hpm.mjs (v3). Installed on demand under the name `hpm4` in bench/.node/
// (harness/runtimes.mjs); it needs Node ^22.15.0 || ^24 || >=26 (its `engines`), so on an older
// Node it reports itself unavailable rather than run where its authors do not support it.
// Usage: node hpm4.mjs <backend url> [keep-alive] [ws] [express]
import http from 'node:http';
import { available, serve } from '../harness/serve.mjs';
import { importPeer, peerManifest, supports } from '../harness/runtimes.mjs';

const [backend, ...modes] = process.argv.slice(2);
const { createProxyMiddleware } = await available(async () => {
  supports(peerManifest('hpm4'));
  return importPeer('hpm4');
});
const agent = modes.includes('keep-alive') ? { agent: new http.Agent({ keepAlive: true }) } : {};
const ws = modes.includes('ws');
const hpm = createProxyMiddleware({ target: backend, ws, ...agent });
const handler = modes.includes('express') ? (await import('express')).default().use(hpm) : hpm;
await serve(handler, ws ? (server) => server.on('upgrade', hpm.upgrade) : undefined);
