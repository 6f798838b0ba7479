// The registry of a middleware's upgrades: the upgrade path's modules (handshake, dial, tunnel)
// are loaded with the first upgrade, not when the proxy is made. Run in a fresh node, on the
// built package, so that what is loaded is Node's own record.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/child.js';

it('loads the upgrade path with the first upgrade, and that upgrade is answered', async () => {
  const script = `
    const http = require('node:http');
    const net = require('node:net');
    const { upgradeAware } = require('./dist/index.js');
    const loaded = () => Object.keys(require.cache).some((file) => file.endsWith('/dist/upgrade/proxy-upgrade.js'));
    // Port 1 on the loopback refuses: the upgrade fails at the dial, after the path has loaded.
    const proxy = upgradeAware({ location: 'http://127.0.0.1:1/' });
    const server = http.createServer(proxy).on('upgrade', proxy.upgrade);
    const made = loaded();
    server.listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1');
      let answer = '';
      socket.setEncoding('latin1').on('data', (text) => (answer += text));
      socket.on('close', () => {
        process.stdout.write(JSON.stringify({ made, status: answer.split('\\r\\n')[0], after: loaded() }));
        server.close();
        proxy.close();
      });
      socket.write('GET /x HTTP/1.1\\r\\nHost: a\\r\\nConnection: Upgrade\\r\\nUpgrade: websocket\\r\\n\\r\\n');
    });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(JSON.parse(stdout)).toEqual({
    made: false,
    status: expect.stringMatching(/^HTTP\/1\.1 50[23] /) as unknown,
    after: true,
  });
});
