// This package, built (`dist/index.js`), in a plain node:http server or in Express 5, its upgrade
// listener on the server's `'upgrade'` event as the contract wires it. Default options:
// `upgradeAware({ location: backend + '/', useRequestLocation: true })`, so no `transport` and the
// rewriting transport on. Usage: node uap.mjs <backend url> [mode...], modes:
//   express       app.use(proxy) at the root of an Express 5 app
//   agent         transport: new http.Agent({ keepAlive: true })  (rewriting off, node:http client)
//   https         transport: new https.Agent({ keepAlive: true, ca })  (an https:// backend; rewriting off)
//   ca=<file>     the CA the https.Agent trusts (the bench certificate, harness/tls.mjs)
//   undici        transport: new undici.Agent({ connections: 128 })  (rewriting off, undici client)
//   throttle=N    maxBytesPerSec: N
//   fixed-path    no useRequestLocation: every request goes to the location's path `/` (the rewrite scenario)
// Express, undici and node:https are imported only by the modes that use them: a module loaded for nothing
// enlarges the heap, and with it what each of V8's full collections costs (docs/benchmarks.md,
// "Transport kinds").
// If this package rejects the options (e.g. a transport kind it does not know yet), the contender
// reports itself unavailable with the error message.
import http from 'node:http';
import { upgradeAware } from '../../dist/index.js';
import { available, serve } from '../harness/serve.mjs';
import { clientCa } from '../harness/tls.mjs';

const [backend, ...modes] = process.argv.slice(2);

async function transport() {
  if (modes.includes('agent')) return { transport: new http.Agent({ keepAlive: true }) };
  if (modes.includes('https')) {
    const https = await import('node:https');
    return { transport: new https.Agent({ keepAlive: true, ca: clientCa(modes) }) };
  }
  if (modes.includes('undici')) {
    const { Agent } = await import('undici');
    return { transport: new Agent({ connections: 128 }) };
  }
  return {};
}

async function options() {
  const throttle = modes.find((mode) => mode.startsWith('throttle='));
  return {
    location: `${backend}/`,
    ...(modes.includes('fixed-path') ? {} : { useRequestLocation: true }),
    ...(await transport()),
    ...(throttle ? { maxBytesPerSec: Number(throttle.slice('throttle='.length)) } : {}),
  };
}

const proxy = await available(async () => upgradeAware(await options()));
const handler = modes.includes('express') ? (await import('express')).default().use(proxy) : proxy;
await serve(handler, (server) => server.on('upgrade', proxy.upgrade));
