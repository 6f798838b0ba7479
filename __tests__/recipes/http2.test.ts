// docs/recipes.md, "HTTP/2 backends": an undici Agent with allowH2 as `transport` speaks HTTP/2
// to a TLS backend that offers it in ALPN.
import http2 from 'node:http2';
import type net from 'node:net';
import { Agent as UndiciAgent } from 'undici';
import { makeTls } from '../fixtures/tls.js';
import { request, startProxy } from '../helpers/servers.js';

it('speaks HTTP/2 to a TLS backend through an undici Agent with allowH2', async () => {
  const { ca, cert, key } = makeTls();
  const versions: string[] = [];
  const server = http2.createSecureServer({ cert, key, allowHTTP1: true }, (req, res) => {
    versions.push(req.httpVersion);
    res.end(`h${req.httpVersion} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const transport = new UndiciAgent({ allowH2: true, connect: { ca } });
  const proxy = await startProxy({
    location: `https://127.0.0.1:${port}/`,
    useRequestLocation: true,
    transport,
  });
  try {
    expect((await request(`${proxy.url}/two`)).body.toString()).toBe('h2.0 /two');
    expect(versions).toEqual(['2.0']);
  } finally {
    await proxy.close();
    await transport.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
