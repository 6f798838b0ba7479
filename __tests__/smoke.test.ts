import { request, startProxy, startRecorder } from './helpers/servers.js';

describe('upgradeAware', () => {
  it('forwards a request path and query byte for byte', async () => {
    const backend = await startRecorder();
    const proxy = await startProxy({ location: `${backend.url}/`, useRequestLocation: true });
    try {
      const res = await request(`${proxy.url}/a/b%2Fc?x=1&y`);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('ok');
      expect(backend.seen[0]!.url).toBe('/a/b%2Fc?x=1&y');
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});
