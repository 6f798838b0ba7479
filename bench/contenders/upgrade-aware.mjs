// This package, built (`dist/index.js`), as a plain node:http handler with its default transport
// (a keep-alive agent it owns). Usage: node upgrade-aware.mjs <backend url>
import { upgradeAware } from '../../dist/index.js';
import { serve } from '../serve.mjs';

const [backend] = process.argv.slice(2);
await serve(upgradeAware({ location: `${backend}/`, useRequestLocation: true }));
