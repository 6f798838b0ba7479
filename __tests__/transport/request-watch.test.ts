// The rule both round trips share through RequestWatch: a client that leaves aborts the backend
// request, with ERR_PROXY_BACKEND_ABORTED, whether it leaves while the proxy waits for the head,
// while the body streams, or before the request went out. Real client sockets, a real backend.
import http from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Agent as UndiciAgent } from 'undici';
import { createExchange, type Exchange } from '../../lib/http/exchange.js';
import { afterUserStages, requestStages } from '../../lib/http/pipeline.js';
import type { BackendResponse } from '../../lib/transport/backend-response.js';
import { nodeRoundTrip } from '../../lib/transport/node.js';
import { undiciRoundTrip } from '../../lib/transport/undici.js';
import { head, options, useRequestSource, type Received } from '../helpers/exchange.js';
import { startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

interface Kind {
  roundTrip(ex: Exchange): Promise<BackendResponse>;
  close(): Promise<void> | void;
}

const KINDS: [string, () => Kind][] = [
  [
    "Node's client",
    () => {
      const agent = new http.Agent({ keepAlive: true });
      return { roundTrip: (ex) => nodeRoundTrip(ex, agent), close: () => agent.destroy() };
    },
  ],
  [
    'undici',
    () => {
      const dispatcher = new UndiciAgent();
      return {
        roundTrip: (ex) => undiciRoundTrip(ex, dispatcher),
        close: () => dispatcher.destroy(),
      };
    },
  ],
];

const source = useRequestSource();
let backend: Running;
/** The backend's side of every request it got, by path. */
const arrived = new Map<string, Socket>();

beforeAll(async () => {
  backend = await startUpstream((req, res) => {
    arrived.set(req.url!, req.socket);
    // `/hang` never answers; `/stream` sends its head and a first chunk, then holds the rest.
    if (req.url === '/stream') res.writeHead(200, { 'Content-Type': 'text/plain' }).write('first');
  });
});

afterAll(async () => {
  await backend.close();
});

/** A GET for `path` as the request stages leave it, ready for a round trip. */
async function exchange(path: string): Promise<{ ex: Exchange; received: Received }> {
  const received = await source().send(head(`GET ${path} HTTP/1.1`, 'Host: client.example'));
  const ex = createExchange(
    received.req,
    received.res,
    options({ location: `${backend.url}/`, useRequestLocation: true }),
  );
  for (const stage of [...requestStages, ...afterUserStages]) stage(ex);
  return { ex, received };
}

describe.each(KINDS)('RequestWatch through %s', (_name, make) => {
  let kind: Kind;
  beforeEach(() => {
    arrived.clear();
    kind = make();
  });
  afterEach(async () => {
    await kind.close();
  });

  it('aborts the backend request with ERR_PROXY_BACKEND_ABORTED when the client leaves before the head', async () => {
    const { ex, received } = await exchange('/hang');
    const trip = kind.roundTrip(ex);
    await waitFor(() => arrived.has('/hang'), 'the backend to get the request');
    received.client.destroy();
    await expect(trip).rejects.toMatchObject({
      code: 'ERR_PROXY_BACKEND_ABORTED',
      message: 'the client closed the connection',
    });
    await waitFor(() => arrived.get('/hang')!.destroyed, 'the backend connection to close');
  });

  it('aborts the backend request when the client leaves while the body streams', async () => {
    const { ex, received } = await exchange('/stream');
    const response = await kind.roundTrip(ex);
    expect(response.status).toBe(200);
    const [chunk] = (await once(response.body, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('first');
    response.body.on('error', () => {}); // the abort fails the body: expected here
    received.client.destroy();
    await waitFor(() => arrived.get('/stream')!.destroyed, 'the backend connection to close');
    expect(response.body.complete).not.toBe(true);
  });

  it('aborts at once a request whose client left before it went out', async () => {
    const { ex, received } = await exchange('/hang');
    received.client.destroy();
    await once(received.res, 'close');
    await expect(kind.roundTrip(ex)).rejects.toMatchObject({ code: 'ERR_PROXY_BACKEND_ABORTED' });
  });
});
