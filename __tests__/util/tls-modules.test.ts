import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { isHttpsAgent, isTlsSocket } from '../../lib/util/tls-modules.js';
import { ROOT } from '../helpers/child.js';

describe('isHttpsAgent', () => {
  it('is true of an https.Agent only', () => {
    expect(isHttpsAgent(new https.Agent())).toBe(true);
    expect(isHttpsAgent(new http.Agent())).toBe(false);
    expect(isHttpsAgent({ protocol: 'https:' })).toBe(false);
    expect(isHttpsAgent(undefined)).toBe(false);
  });

  it('is false of an http.Agent that says https: without being one', () => {
    const forged = Object.assign(new http.Agent(), { protocol: 'https:' });
    expect(isHttpsAgent(forged)).toBe(false);
  });
});

describe('isTlsSocket', () => {
  it('is true of a tls.TLSSocket only', () => {
    const plain = new net.Socket();
    const secure = new tls.TLSSocket(new net.Socket());
    expect(isTlsSocket(secure)).toBe(true);
    expect(isTlsSocket(plain)).toBe(false);
    expect(isTlsSocket(Object.assign(new net.Socket(), { encrypted: true }))).toBe(false);
    expect(isTlsSocket(undefined)).toBe(false);
    secure.destroy();
    plain.destroy();
  });
});

/**
 * In a fresh node: an http.Agent proxy to an http backend serves a request and an upgrade, and
 * reports which of Node's TLS and timing modules got loaded on the way. The script comes on stdin:
 * `node -e` loads `crypto` for its own globals.
 */
const SCRIPT = `
const http = require('node:http');
const { upgradeAware } = require('./dist/index.js');
const loaded = () => ['tls', 'https', 'crypto', 'perf_hooks']
  .filter((name) => process.moduleLoadList.includes('NativeModule ' + name));
const backend = http.createServer((req, res) => res.end('ok ' + req.url));
backend.on('upgrade', (req, socket) => {
  socket.end('HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: x\\r\\n\\r\\nup');
});
backend.listen(0, '127.0.0.1', () => {
  const location = 'http://127.0.0.1:' + backend.address().port + '/';
  const proxy = upgradeAware({ location, useRequestLocation: true, transport: new http.Agent({ keepAlive: true }) });
  const server = http.createServer(proxy).on('upgrade', proxy.upgrade);
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    http.get({ port, host: '127.0.0.1', path: '/a', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c)).on('end', () => {
        const up = http.request({ port, host: '127.0.0.1', agent: false,
          headers: { connection: 'upgrade', upgrade: 'x' } });
        up.on('upgrade', (_res, socket, head) => {
          let got = head.toString();
          socket.on('data', (c) => (got += c)).on('end', () => {
            process.stdout.write(JSON.stringify({ body, got, loaded: loaded() }));
            socket.destroy();
            proxy.close();
            server.close();
            backend.close();
          });
        });
        up.end();
      });
    });
  });
});`;

describe("Node's TLS modules", () => {
  it('are not loaded by a proxy that reaches an http backend through an http.Agent', async () => {
    const child = spawn(process.execPath, ['-'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.end(SCRIPT);
    let stdout = '';
    for await (const chunk of child.stdout) stdout += String(chunk);
    expect(JSON.parse(stdout)).toEqual({ body: 'ok /a', got: 'up', loaded: [] });
  });
});
