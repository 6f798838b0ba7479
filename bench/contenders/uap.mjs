// This package, built (`dist/index.js`), in a plain node:http server or in Express 5, its upgrade
// listener on the server's `'upgrade'` event as the contract wires it. Default options:
// `upgradeAware({ location: backend + '/', useRequestLocation: true })`, so no `transport` and the
// rewriting transport on. Usage: node uap.mjs <backend url> [mode...], modes:
//   express       app.use(proxy) at the root of an Express 5 app
//   agent         transport: new http.Agent({ keepAlive: true })  (rewriting off, node:http client)
//   undici        transport: new undici.Agent({ connections: 128 })  (rewriting off, undici client)
//   throttle=N    maxBytesPerSec: N
//   fixed-path    no useRequestLocation: every request goes to the location's path `/` (the rewrite scenario)
// If this package rejects the options (e.g. a transport kind it does not know yet), the contender
// reports itself unavailable with the error message.
import http from 'node:http';
import express from 'express';
import { Agent as UndiciAgent } from 'undici';
import { upgradeAware } from '../../dist/index.js';
import { available, serve } from '../harness/serve.mjs';

const [backend, ...modes] = process.argv.slice(2);

function transport() {
  if (modes.includes('agent')) return { transport: new http.Agent({ keepAlive: true }) };
  if (modes.includes('undici')) return { transport: new UndiciAgent({ connections: 128 }) };
  return {};
}

function options() {
  const throttle = modes.find((mode) => mode.startsWith('throttle='));
  return {
    location: `${backend}/`,
    ...(modes.includes('fixed-path') ? {} : { useRequestLocation: true }),
    ...transport(),
    ...(throttle ? { maxBytesPerSec: Number(throttle.slice('throttle='.length)) } : {}),
  };
}

const proxy = await available(() => upgradeAware(options()));
const handler = modes.includes('express') ? express().use(proxy) : proxy;
await serve(handler, (server) => server.on('upgrade', proxy.upgrade));
