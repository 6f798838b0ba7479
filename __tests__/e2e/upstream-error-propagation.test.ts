// Kubernetes' TestErrorPropagation (spec section 9.1, T10): with `wrapTransport`, the rewriting
// transport must hand a transport failure to the responder, not swallow it. The transport is an
// http.Agent whose dialer yields a socket that fails with `nasty error`; the backend must never
// be reached.
import http from 'node:http';
import { Duplex } from 'node:stream';
import type { ProxyError } from '../../lib/index.js';
import { FAKE_STATUS, fakeResponder, request, startProxy, startRecorder } from '../helpers/servers.js';

/** An agent whose every connection fails on the first write, like upstream's fakeRT. */
class FailingAgent extends http.Agent {
  dialed = 0;

  override createConnection(): Duplex {
    this.dialed += 1;
    return new Duplex({
      read() {},
      write(_chunk, _encoding, callback) {
        callback(new Error('nasty error'));
      },
    });
  }
}

describe('upgradeAware (upstream TestErrorPropagation)', () => {
  it('hands a transport error to the responder as `error trying to reach service`', async () => {
    const backend = await startRecorder();
    const transport = new FailingAgent();
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({ location: backend.url, transport, wrapTransport: true, responder });
    try {
      const res = await request(proxy.url, { headers: { Connection: 'close' } });
      expect(res.status).toBe(FAKE_STATUS);
      expect(res.body.toString()).toBe('error trying to reach service: nasty error');
      expect(calls).toHaveLength(1);
      const err = calls[0] as ProxyError;
      expect(err.message).toContain('nasty error');
      expect(err.code).toBe('ERR_PROXY_BACKEND_UNREACHABLE');
      expect(err.status).toBe(503);
      expect(transport.dialed).toBe(1);
      expect(backend.seen).toHaveLength(0);
    } finally {
      await proxy.close();
      transport.destroy();
      await backend.close();
    }
  });
});
