// A kubeconfig's proxy-url: the CLI's agent tunnels every connection through the proxy, loopback
// included (client-go's http.ProxyURL), for requests and, through the same agent, upgrades.
import http from 'node:http';
import https from 'node:https';
import { proxiedAgent } from '../../lib/cli/proxy-url.js';
import { makeTls } from '../fixtures/tls.js';
import { listen, startRecorder, type Running } from '../helpers/servers.js';
import { startForwardProxy } from '../helpers/forward-proxy.js';

const running: Running[] = [];
const agents: http.Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  for (const r of running.splice(0).reverse()) await r.close();
});

function get(url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? https : http).get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

describe('proxiedAgent', () => {
  it('tunnels a loopback http backend through the proxy, with Basic credentials', async () => {
    const forward = await startForwardProxy();
    const backend = await startRecorder();
    running.push(forward, backend);
    const agent = proxiedAgent(new URL(`http://me:s%3Acret@127.0.0.1:${forward.port}`), false, {});
    agents.push(agent);
    expect(await get(`${backend.url}/x`, agent)).toEqual({ status: 200, body: 'ok' });
    expect(forward.connects).toEqual([
      {
        authority: `127.0.0.1:${backend.port}`,
        host: `127.0.0.1:${backend.port}`,
        proxyAuthorization: `Basic ${Buffer.from('me:s:cret').toString('base64')}`,
      },
    ]);
  });

  it("puts TLS verified with the agent's CA on the tunnel to an https backend", async () => {
    const fixture = makeTls(['cluster.example']);
    const forward = await startForwardProxy();
    const server = https.createServer({ key: fixture.key, cert: fixture.cert }, (_req, res) =>
      res.end('secure'),
    );
    const backend = await listen(server as unknown as http.Server);
    running.push(forward, backend);
    const agent = proxiedAgent(new URL(`http://127.0.0.1:${forward.port}`), true, {
      ca: fixture.ca,
    });
    agents.push(agent);
    const answer = await get(`https://cluster.example:${backend.port}/`, agent);
    expect(answer).toEqual({ status: 200, body: 'secure' });
    expect(forward.connects.map((c) => c.authority)).toEqual([`cluster.example:${backend.port}`]);
  });

  it("fails the request with the proxy's status when it refuses", async () => {
    const forward = await startForwardProxy({ answer: 'HTTP/1.1 403 Forbidden\r\n\r\n' });
    running.push(forward);
    const agent = proxiedAgent(new URL(`http://127.0.0.1:${forward.port}`), false, {});
    agents.push(agent);
    await expect(get('http://127.0.0.1:1/', agent)).rejects.toThrow(
      'proxy refused CONNECT: 403 Forbidden',
    );
  });
});
