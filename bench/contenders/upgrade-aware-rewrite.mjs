// This package, built (`dist/index.js`), as a plain node:http handler with the rewriting transport
// on (no `transport`, Kubernetes' default) or off (an explicit keep-alive agent and no
// `wrapTransport`). Both send every request to the location's path `/`, with the request's query.
// Usage: node upgrade-aware-rewrite.mjs <backend url> on|off
import http from 'node:http';
import { upgradeAware } from '../../dist/index.js';
import { serve } from '../serve.mjs';

const [backend, mode] = process.argv.slice(2);
if (mode !== 'on' && mode !== 'off') throw new Error(`mode must be on or off, not ${mode}`);
const location = `${backend}/`;
const proxy = upgradeAware(mode === 'on' ? { location } : { location, transport: new http.Agent({ keepAlive: true }) });
await serve(proxy);
