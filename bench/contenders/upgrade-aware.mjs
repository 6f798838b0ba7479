// This package, built (`dist/index.js`), as a plain node:http handler with its default transport
// (a keep-alive agent it owns), and its upgrade listener on the server's `'upgrade'` event, as
// the contract wires it. Usage: node upgrade-aware.mjs <backend url>
import { upgradeAware } from '../../dist/index.js';
import { serve } from '../serve.mjs';

const [backend] = process.argv.slice(2);
const proxy = upgradeAware({ location: `${backend}/`, useRequestLocation: true });
await serve(proxy, (server) => server.on('upgrade', proxy.upgrade));
