// When the relayed bytes reach the client, over every transport kind: Kubernetes' T9
// (TestFlushIntervalHeaders: the head arrives while the backend's body stalls), server-sent events
// one by one, and the flushes a compression-like layer in front of the proxy gets (flushInterval).
import http from 'node:http';
import { once } from 'node:events';
import express from 'express';
import { upgradeAware } from '../../lib/index.js';
import type { UpgradeAwareOptions } from '../../lib/index.js';
import { bufferingLayer, lockstep, readInLockstep } from '../helpers/bodies.js';
import { fakeResponder, listen } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { TRANSPORT_KINDS, through } from '../helpers/transports.js';
import type { TransportKind } from '../helpers/transports.js';

const EXPECTED = ['data: event 1', 'data: event 2', 'data: event 3'];

/** Express with the buffering layer in front of the proxy at /proxy, over `kind` to a lockstep backend. */
async function behindLayer(
  kind: TransportKind,
  contentType: string,
  count: number,
  options: Partial<UpgradeAwareOptions>,
) {
  const sse = lockstep(contentType, count);
  const backend = await kind.serve(sse.handler);
  const transport = kind.make(backend.url);
  const proxy = upgradeAware({ location: `${backend.url}/`, ...transport.options, ...options });
  const counter = { flushes: 0 };
  const app = express();
  app.use(bufferingLayer(counter));
  app.use('/proxy', proxy);
  const server: Running = await listen(http.createServer(app));
  return {
    url: `${server.url}/proxy/`,
    ack: sse.ack,
    counter,
    async close() {
      await proxy.close();
      await server.close();
      await transport.release();
      await backend.close();
    },
  };
}

/** Reads `count` events through the layer; resolves with them and the flush count as each arrived. */
async function readThroughLayer(
  layer: Awaited<ReturnType<typeof behindLayer>>,
  count: number,
): Promise<{ events: string[]; flushesAtEvent: number[] }> {
  const flushesAtEvent: number[] = [];
  const events = await readInLockstep(layer.url, layer.ack, count, () =>
    flushesAtEvent.push(layer.counter.flushes),
  );
  return { events, flushesAtEvent };
}

describe.each(TRANSPORT_KINDS)(
  'upgradeAware over $name (upstream TestFlushIntervalHeaders, T9)',
  (kind) => {
    it('delivers the response headers while the backend body stalls', async () => {
      const stalled: http.ServerResponse[] = [];
      const { responder, calls } = fakeResponder();
      const { proxy, close } = await through(
        kind,
        (_req, res) => {
          res.setHeader('MyHeader', 'hi');
          res.writeHead(200);
          res.flushHeaders();
          stalled.push(res); // never ended until the test is over
        },
        { responder },
      );
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
        await close();
      }
    });
  },
);

describe.each(TRANSPORT_KINDS)('upgradeAware flushInterval over $name', (kind) => {
  it('delivers text/event-stream events one by one through a plain server', async () => {
    const sse = lockstep('text/event-stream', 3);
    const { proxy, close } = await through(kind, sse.handler);
    try {
      expect(await readInLockstep(`${proxy.url}/`, sse.ack, 3)).toEqual(EXPECTED);
    } finally {
      await close();
    }
  });

  // An interval far longer than the test: for an event stream only the per-chunk flush can deliver the events.
  it.each([
    ['for text/event-stream, whatever the interval', 'text/event-stream; charset=utf-8', 3_600_000],
    ['with flushInterval -1', 'text/plain', -1],
  ])(
    'flushes a compression-like layer after every chunk %s',
    async (_name, contentType, flushInterval) => {
      const layer = await behindLayer(kind, contentType, 3, { flushInterval });
      try {
        const { events, flushesAtEvent } = await readThroughLayer(layer, 3);
        expect(events).toEqual(EXPECTED);
        // Every event passed the layer only through a flush made for it.
        flushesAtEvent.forEach((flushes, i) => expect(flushes).toBeGreaterThanOrEqual(i + 1));
      } finally {
        await layer.close();
      }
    },
  );

  it('flushes a compression-like layer after writes with a positive interval', async () => {
    const layer = await behindLayer(kind, 'text/plain', 2, { flushInterval: 20 });
    try {
      const { events } = await readThroughLayer(layer, 2);
      expect(events).toEqual(EXPECTED.slice(0, 2));
      expect(layer.counter.flushes).toBeGreaterThanOrEqual(1);
    } finally {
      await layer.close();
    }
  });
});
