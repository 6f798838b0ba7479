// `--metrics` wired by the built command (run `npm run build` first): the metrics path served on the
// proxy's listener, counting what went through it, and the access log's tunnel line, whose status
// now comes from the proxy's diagnostics channels.
import { request } from '../helpers/servers.js';
import { openWebSocket, closeWebSockets } from '../helpers/websockets.js';
import { closeAll, startWsBackend } from './helpers.js';
import { runCli, startCliProcess } from './spawn.js';

afterEach(async () => {
  closeWebSockets();
  await closeAll();
});

describe('upgrade-aware-proxy --metrics', () => {
  it('serves the counts of the requests and tunnels it proxied on its own listener', async () => {
    const backend = await startWsBackend();
    const cli = await startCliProcess([
      '--target',
      backend.url,
      '--port',
      '0',
      '--metrics',
      '/metrics',
    ]);
    expect((await request(`${cli.url}/api/v1/pods`)).status).toBe(200);
    const ws = await openWebSocket(`ws://${cli.address}/ws`, { origin: 'http://127.0.0.1/' });
    ws.terminate();
    await cli.waitForStderr((text) => / GET \/ws 101 tunnel /.test(text), 'the tunnel line');
    const scraped = await request(`${cli.url}/metrics`);
    expect(scraped.status).toBe(200);
    const text = scraped.body.toString();
    expect(text).toContain(
      'upgrade_aware_proxy_requests_total{method="GET",status_class="2xx"} 1\n',
    );
    expect(text).toContain(
      'upgrade_aware_proxy_requests_total{method="GET",status_class="1xx"} 1\n',
    );
    expect(text).toContain('upgrade_aware_proxy_tunnels_open 0\n');
    expect(text).toContain('upgrade_aware_proxy_tunnels_closed_total{closed_by="client"} 1\n');
    expect(await cli.stop()).toMatchObject({ code: 0 });
  });

  it('refuses a path without a leading slash with exit status 2', async () => {
    const exit = await runCli(['--target', 'http://127.0.0.1:1', '--metrics', 'metrics']);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toBe(
      'error: invalid value "metrics" for --metrics: must be a path starting with /, without a query\n',
    );
  });
});
