import express from 'express';
import http from 'node:http';
import { Readable } from 'node:stream';
import type { ProxyError } from '../../lib/errors/proxy-error.js';
import type { UpgradeAwareOptions } from '../../lib/types.js';
import { upgradeAware } from '../../lib/upgrade-aware.js';
import { listen, request, startRecorder, type Running, type Seen } from '../helpers/servers.js';
import { CLEARTEXT_KINDS } from '../helpers/transports.js';

type WithRaw = { rawBody?: Buffer };

/** Express with `express.json()` (keeping the exact bytes in `verify`) in front of the proxy. */
async function behindJson(
  options: Partial<UpgradeAwareOptions>,
  backend: Running,
): Promise<Running> {
  const app = express();
  app.use(
    express.json({
      verify: (req, _res, buf) => {
        (req as WithRaw).rawBody = buf;
      },
    }),
  );
  const proxy = upgradeAware({
    location: `${backend.url}/`,
    useRequestLocation: true,
    responder: (err, _req, res) => {
      res.statusCode = (err as ProxyError).status ?? 500;
      res.end((err as ProxyError).code ?? err.message);
    },
    ...options,
  });
  app.use(proxy);
  const running = await listen(http.createServer(app));
  const closeServer = running.close;
  return Object.assign(running, {
    async close() {
      await proxy.close();
      await closeServer();
    },
  });
}

const JSON_BODY = '{ "a" : 1,\n "b": [1, 2] }';

function lengthLines(seen: Seen): string[] {
  const out: string[] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2) {
    const name = seen.rawHeaders[i]!.toLowerCase();
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'expect')
      out.push(`${name}: ${seen.rawHeaders[i + 1]!}`);
  }
  return out;
}

describe.each(CLEARTEXT_KINDS)('requestBody through $name', (kind) => {
  let backend: Running & { seen: Seen[] };
  beforeEach(async () => {
    backend = await startRecorder();
  });
  afterEach(async () => {
    await backend.close();
  });

  async function post(
    options: Partial<UpgradeAwareOptions>,
  ): Promise<{ status: number; body: string }> {
    const transport = kind.make(backend.url);
    const proxy = await behindJson({ ...transport.options, ...options }, backend);
    try {
      const answer = await request(`${proxy.url}/api`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON_BODY,
      });
      return { status: answer.status, body: answer.body.toString() };
    } finally {
      await proxy.close();
      await transport.release();
    }
  }

  it('without it, a body a parser read gets ERR_PROXY_BODY_CONSUMED and nothing reaches the backend', async () => {
    expect(await post({})).toEqual({ status: 500, body: 'ERR_PROXY_BODY_CONSUMED' });
    expect(backend.seen).toHaveLength(0);
  });

  it("forwards the parser's exact bytes kept in `verify`, with their Content-Length", async () => {
    expect((await post({ requestBody: (req) => (req as WithRaw).rawBody })).status).toBe(200);
    expect(backend.seen[0]!.body.toString()).toBe(JSON_BODY);
    expect(lengthLines(backend.seen[0]!)).toEqual([
      `content-length: ${Buffer.byteLength(JSON_BODY)}`,
    ]);
  });

  it('takes a string (as UTF-8), a Uint8Array and a promise', async () => {
    await post({ requestBody: () => 'é' });
    await post({ requestBody: () => new Uint8Array([104, 105]) });
    await post({ requestBody: async () => Buffer.from('later') });
    expect(backend.seen.map((s) => [s.body.toString(), lengthLines(s)])).toEqual([
      ['é', ['content-length: 2']],
      ['hi', ['content-length: 2']],
      ['later', ['content-length: 5']],
    ]);
  });

  it('sends a stream chunked', async () => {
    expect(
      (await post({ requestBody: () => Readable.from([Buffer.from('ab'), Buffer.from('cd')]) }))
        .status,
    ).toBe(200);
    expect(backend.seen[0]!.body.toString()).toBe('abcd');
    expect(lengthLines(backend.seen[0]!)).toEqual(['transfer-encoding: chunked']);
  });

  it('gives ERR_PROXY_STAGE for a throw or a value of another kind, and ERR_PROXY_BODY_CONSUMED for undefined', async () => {
    expect(
      await post({
        requestBody: () => {
          throw new Error('x');
        },
      }),
    ).toEqual({ status: 500, body: 'ERR_PROXY_STAGE' });
    expect(await post({ requestBody: () => 42 as unknown as string })).toEqual({
      status: 500,
      body: 'ERR_PROXY_STAGE',
    });
    expect(await post({ requestBody: () => undefined })).toEqual({
      status: 500,
      body: 'ERR_PROXY_BODY_CONSUMED',
    });
    expect(backend.seen).toHaveLength(0);
  });

  it('is not called when the body was not read', async () => {
    let called = 0;
    const transport = kind.make(backend.url);
    const app = express();
    const proxy = upgradeAware({
      location: `${backend.url}/`,
      ...transport.options,
      requestBody: () => (called++, 'no'),
    });
    app.use(proxy);
    const running = await listen(http.createServer(app));
    try {
      await request(`${running.url}/`, { method: 'POST', body: 'own' });
      expect([backend.seen[0]!.body.toString(), called]).toEqual(['own', 0]);
    } finally {
      await proxy.close();
      await running.close();
      await transport.release();
    }
  });
});
