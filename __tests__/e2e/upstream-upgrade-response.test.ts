import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyError } from '../../lib/index.js';
import { startProxy, startUpstream, type Running } from '../helpers/servers.js';

/** The upstream tests' fakeResponder: 567 and the message; a second call fails the test. */
function fakeResponder(): {
  errors: Error[];
  error(err: Error, req: IncomingMessage, res: ServerResponse): void;
} {
  const errors: Error[] = [];
  return {
    errors,
    error(err, _req, res) {
      errors.push(err);
      if (errors.length > 1)
        throw new Error(`responder called twice: ${errors.map((e) => e.message).join('; ')}`);
      res.statusCode = 567;
      res.end(err.message);
    },
  };
}

/**
 * Writes raw bytes on a fresh connection and collects what comes back until the proxy closes
 * the connection, or until `until` holds of the text so far.
 */
async function sendRaw(
  port: number,
  request: string,
  until: (text: string) => boolean = () => false,
): Promise<{ text: string; ended: boolean; socket: net.Socket }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  const result = new Promise<boolean>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (until(text)) resolve(false);
    });
    socket.once('end', () => resolve(true));
    socket.once('close', () => resolve(true));
  });
  socket.on('error', () => {});
  socket.write(request);
  const ended = await result;
  return { text, ended, socket };
}

const opened: Running[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

describe('T1 case 9: use location host - invalid upgrade', () => {
  it('sends the raw upgrade request with the location host and refuses a 200', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const backend = await startUpstream((req, res) => {
      seen.push(req.headers);
      res.end('<html></html>');
    });
    const responder = fakeResponder();
    const proxy = await startProxy({
      location: `${backend.url}/some/path`,
      upgradeRequired: true,
      useLocationHost: true,
      responder,
    });
    opened.push(proxy, backend);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(
          `${proxy.url}/some/path`,
          { agent: false, headers: { Connection: 'Upgrade' } },
          resolve,
        )
        .on('error', reject);
    });
    res.resume();
    expect(res.statusCode).toBe(567);
    expect(seen[0]!.host).toBe(`127.0.0.1:${backend.port}`);
    expect(seen[0]!.connection).toBe('Upgrade');
    expect(responder.errors[0]!.message).toContain('invalid upgrade response: status code 200');
    expect((responder.errors[0] as ProxyError).code).toBe('ERR_PROXY_INVALID_UPGRADE_RESPONSE');
  });
});

describe('T3: TestProxyUpgradeConnectionErrorResponse', () => {
  it('hands `error sending request` to the responder when the connection fails', async () => {
    class Failing extends Duplex {
      override _read(): void {}
      override _write(_chunk: Buffer, _encoding: string, callback: (err?: Error) => void): void {
        callback(new Error('EXPECTED'));
      }
    }
    const agent = new http.Agent();
    (agent as unknown as { createConnection: () => Duplex }).createConnection = () => new Failing();
    const responder = fakeResponder();
    const proxy = await startProxy({
      location: 'fake-backend',
      transport: agent,
      upgradeRequired: true,
      responder,
    });
    opened.push(proxy);
    const { text, socket } = await sendRaw(
      proxy.port,
      'POST /some/path HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n',
      (t) => t.endsWith('EXPECTED'),
    );
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 567 /);
    expect(responder.errors).toHaveLength(1);
    expect(responder.errors[0]!.message).toBe('error sending request: EXPECTED');
    expect((responder.errors[0] as ProxyError).code).toBe('ERR_PROXY_SEND');
  });
});

describe('T4: TestProxyUpgradeErrorResponseTerminates', () => {
  it.each([400, 500])(
    'relays a %i answer, then closes and never forwards a later request',
    async (code) => {
      const paths: string[] = [];
      const backend = await startUpstream((req, res) => {
        paths.push(req.url!);
        res.statusCode = code;
        res.end('some data');
      });
      const proxy = await startProxy({
        location: `${backend.url}/hello`,
        responder: fakeResponder(),
      });
      opened.push(proxy, backend);
      const { text, ended, socket } = await sendRaw(
        proxy.port,
        'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n\r\n',
      );
      expect(ended).toBe(true);
      expect(text).toMatch(new RegExp(`^HTTP/1\\.1 ${code} `));
      expect(text.endsWith('\r\n\r\nsome data')).toBe(true);
      // The connection is closed: a second request on it cannot reach the backend.
      socket.write('GET /there HTTP/1.1\r\nHost: x\r\n\r\n', () => {});
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(paths).toEqual(['/hello']);
    },
  );

  it.each([400, 500])(
    'over the upgrade event, relays a %i answer byte for byte and closes',
    async (code) => {
      const backend = await startUpstream((_req, res) => {
        res.statusCode = code;
        res.setHeader('X-Reason', 'refused');
        res.end('some data');
      });
      const proxy = await startProxy({
        location: `${backend.url}/hello`,
        responder: fakeResponder(),
      });
      opened.push(proxy, backend);
      const { text, ended } = await sendRaw(
        proxy.port,
        'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      );
      expect(ended).toBe(true);
      expect(text).toMatch(new RegExp(`^HTTP/1\\.1 ${code} `));
      expect(text).toContain('X-Reason: refused');
      expect(text.endsWith('some data')).toBe(true);
    },
  );
});

describe('T5: TestProxyUpgradeErrorResponse', () => {
  it.each([200, 300, 302, 307])('never forwards a %i answer to an upgrade', async (code) => {
    const backend = await startUpstream((_req, res) => {
      res.writeHead(code, { Location: 'https://example.com/there' });
      res.end();
    });
    const responder = fakeResponder();
    const proxy = await startProxy({ location: `${backend.url}/hello`, responder });
    opened.push(proxy, backend);
    for (const upgrade of ['', 'Upgrade: websocket\r\n']) {
      responder.errors.length = 0;
      const { text, socket } = await sendRaw(
        proxy.port,
        `GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n${upgrade}\r\n`,
        (t) => t.includes('status code'),
      );
      socket.destroy();
      expect(text).toMatch(/^HTTP\/1\.1 567 /);
      expect(text).not.toContain('example.com');
      expect(responder.errors[0]!.message).toBe(`invalid upgrade response: status code ${code}`);
    }
  });
});
