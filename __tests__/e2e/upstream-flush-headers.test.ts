// Kubernetes' TestFlushIntervalHeaders (spec section 9.1, T9; section 3.4): the backend sends its
// response head, flushes it, and then sends nothing more until the test ends. The client must
// still get the head, with the backend's headers, while the body stalls.
import http from 'node:http';
import { once } from 'node:events';
import { fakeResponder, startProxy, startUpstream } from '../helpers/servers.js';

describe('upgradeAware (upstream TestFlushIntervalHeaders)', () => {
  it('delivers the response headers while the backend body stalls', async () => {
    const stalled: http.ServerResponse[] = [];
    const backend = await startUpstream((_req, res) => {
      res.setHeader('MyHeader', 'hi');
      res.writeHead(200);
      res.flushHeaders();
      stalled.push(res); // never ended until the test is over
    });
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({ location: backend.url, responder });
    const req = http.request(proxy.url, { agent: false, headers: { Connection: 'close' } });
    req.on('error', () => {}); // the request is destroyed mid-body at the end of the test
    try {
      req.end();
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      expect(res.statusCode).toBe(200);
      expect(res.headers.myheader).toBe('hi');
      // The head arrived with the body still open: the backend has not ended its response.
      expect(res.complete).toBe(false);
      expect(stalled).toHaveLength(1);
      expect(stalled[0]!.writableEnded).toBe(false);
      expect(calls).toHaveLength(0);
    } finally {
      req.destroy();
      for (const res of stalled) res.end();
      await proxy.close();
      await backend.close();
    }
  });
});
