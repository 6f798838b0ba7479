// 1xx answers over every transport kind: 102 Processing and 103 Early Hints relayed before the
// final answer, and Expect: 100-continue end to end, with one 100 for the client whether the
// backend or nobody answered the expectation.
import http from 'node:http';
import { once } from 'node:events';
import { upgradeAware } from '../../lib/index.js';
import { digest } from '../helpers/bodies.js';
import { listen } from '../helpers/servers.js';
import { TRANSPORT_KINDS, through } from '../helpers/transports.js';

/** The whole body of a response as text. */
async function text(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

/** PUTs 100 000 bytes with `Expect: 100-continue` to `url`; resolves with the 1xx codes seen and the answer. */
async function expectContinue(
  url: string,
): Promise<{ continues: number[]; status: number | undefined; body: string }> {
  const body = Buffer.alloc(100_000, 'c');
  const client = http.request(url, {
    method: 'PUT',
    agent: false,
    headers: { Expect: '100-continue', 'Content-Length': String(body.length) },
  });
  const continues: number[] = [];
  client.on('information', (info) => continues.push(info.statusCode));
  client.on('continue', () => client.end(body));
  client.flushHeaders();
  const [res] = (await once(client, 'response')) as [http.IncomingMessage];
  return { continues, status: res.statusCode, body: await text(res) };
}

/** A backend answering `got <bytes read>`. */
const counting: http.RequestListener = async (req, res) =>
  res.end(`got ${(await digest(req)).bytes}`);

describe.each(TRANSPORT_KINDS)('upgradeAware informational responses over $name', (kind) => {
  it('relays 102 Processing and 103 Early Hints before the final response', async () => {
    const { proxy, dispatched, close } = await through(kind, (_req, res) => {
      res.writeProcessing();
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }, () =>
        setImmediate(() => res.end('final')),
      );
    });
    try {
      const events: string[] = [];
      const client = http.get(`${proxy.url}/`, { agent: false });
      client.on('information', (info) =>
        events.push(`${info.statusCode} ${info.headers.link ?? ''}`.trim()),
      );
      const [res] = (await once(client, 'response')) as [http.IncomingMessage];
      events.push(`response ${res.statusCode}`);
      expect(await text(res)).toBe('final');
      expect(events).toEqual(['102', '103 </style.css>; rel=preload; as=style', 'response 200']);
      expect(dispatched()).toBe(1);
    } finally {
      await close();
    }
  });

  it('works end to end with Expect: 100-continue: the backend sees the expectation, the client gets one 100', async () => {
    const expects: (string | undefined)[] = [];
    // Answer the 100 in the backend, so the test knows the backend saw the expectation.
    const { proxy, close } = await through(kind, counting, undefined, (server) => {
      server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
        expects.push(req.headers.expect);
        res.writeContinue();
        server.emit('request', req, res);
      });
    });
    try {
      expect(await expectContinue(`${proxy.url}/`)).toEqual({
        continues: [100],
        status: 200,
        body: 'got 100000',
      });
      expect(expects).toEqual(['100-continue']);
    } finally {
      await close();
    }
  });

  it('gets the client one 100 when the application took over checkContinue without answering it', async () => {
    const backend = await kind.serve(counting);
    const transport = kind.make(backend.url);
    const proxy = upgradeAware({ location: `${backend.url}/`, ...transport.options });
    const server = http.createServer(proxy);
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) =>
      server.emit('request', req, res),
    );
    const front = await listen(server);
    try {
      expect(await expectContinue(`${front.url}/`)).toEqual({
        continues: [100],
        status: 200,
        body: 'got 100000',
      });
    } finally {
      await proxy.close();
      await front.close();
      await transport.release();
      await backend.close();
    }
  });
});
