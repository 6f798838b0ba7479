// Repeated request header lines reach the backend as separate lines, as the client sent them, on
// the upgrade path and the HTTP path (both transports). The case that matters: kubectl exec,
// attach and port-forward send one X-Stream-Protocol-Version line per protocol, and Kubernetes'
// httpstream.Handshake compares each line exactly; one line joined with ", " (as Node joins it in
// req.headers) matches none of them, and the backend answers 403 `unable to negotiate protocol`.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { UpgradeAwareOptions } from '../../lib/index.js';
import { startCliProcess } from '../cli/spawn.js';
import { listen, startProxy, startRecorder, rawRequest } from '../helpers/servers.js';
import type { Running, Seen } from '../helpers/servers.js';

const CLIENT_VERSIONS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
];
/** What Kubernetes' remotecommand server accepts, most preferred first. */
const SERVER_VERSIONS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
];
const EXEC = '/api/v1/namespaces/default/pods/web/exec?command=sh&stdin=true';

/** The lines named `name` (any case) in a raw header list, in order. */
function linesOf(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

/**
 * Kubernetes' `httpstream.Handshake`: the first client line, in order, that equals one the server
 * accepts (Go's `req.Header[...]` holds one entry per line); none gives 403. Then the 101 carries
 * the chosen version, and the connection echoes.
 */
function handshake(req: http.IncomingMessage, socket: net.Socket): void {
  socket.on('error', () => {});
  const client = linesOf(req.rawHeaders, 'x-stream-protocol-version');
  const chosen = client.find((version) => SERVER_VERSIONS.includes(version));
  if (chosen === undefined) {
    const body = `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${SERVER_VERSIONS.join(' ')}]`;
    socket.end(
      `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    return;
  }
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${chosen}\r\n\r\n`,
  );
  socket.pipe(socket);
}

async function startKubelet(): Promise<Running> {
  const server = http.createServer((_req, res) => res.end('not an upgrade'));
  server.on('upgrade', handshake);
  return listen(server);
}

/** The `kubectl exec` request head, one X-Stream-Protocol-Version line per version. */
function execRequest(host: string): string {
  return [
    `POST ${EXEC} HTTP/1.1`,
    `Host: ${host}`,
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    ...CLIENT_VERSIONS.map((version) => `X-Stream-Protocol-Version: ${version}`),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Writes `data` and resolves with the response head, and a function that round-trips bytes through the tunnel. */
async function upgradeThrough(
  port: number,
  data: string,
): Promise<{ head: string; echo(text: string): Promise<string> }> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(data);
  let received = '';
  const until = (test: (text: string) => boolean): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!test(received)) return;
        socket.off('data', onData);
        resolve(received);
      };
      const onData = (chunk: Buffer): void => {
        received += chunk.toString('latin1');
        check();
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error(`closed; got ${JSON.stringify(received)}`)));
      check();
    });
  const all = await until((text) => text.includes('\r\n\r\n'));
  const end = all.indexOf('\r\n\r\n') + 4;
  const head = all.slice(0, end);
  return {
    head,
    async echo(text) {
      socket.write(text);
      return (await until((got) => got.length >= end + text.length)).slice(end);
    },
  };
}

const sockets: net.Socket[] = [];
const opened: Running[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const running of opened.splice(0)) await running.close();
});

describe('kubectl exec protocol negotiation (X-Stream-Protocol-Version lines)', () => {
  it('negotiates v5.channel.k8s.io through the middleware and tunnels', async () => {
    const kubelet = await startKubelet();
    opened.push(kubelet);
    const proxy = await startProxy({ location: kubelet.url, useRequestLocation: true });
    opened.push(proxy);
    const { head, echo } = await upgradeThrough(proxy.port, execRequest(`127.0.0.1:${proxy.port}`));
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toContain('\r\nX-Stream-Protocol-Version: v5.channel.k8s.io\r\n');
    expect(await echo('stdin bytes')).toBe('stdin bytes');
  });

  it('negotiates v5.channel.k8s.io through the command line (dist/cli/main.js)', async () => {
    const kubelet = await startKubelet();
    opened.push(kubelet);
    // kubectl proxy refuses exec and attach paths by default; this test is about the headers.
    const cli = await startCliProcess([
      '--target',
      kubelet.url,
      '--port',
      '0',
      '--reject-paths',
      '^/none$',
    ]);
    const { head, echo } = await upgradeThrough(cli.port, execRequest(`127.0.0.1:${cli.port}`));
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toContain('\r\nX-Stream-Protocol-Version: v5.channel.k8s.io\r\n');
    expect(await echo('stdin bytes')).toBe('stdin bytes');
  });
});

describe.each<[string, () => Partial<UpgradeAwareOptions>]>([
  ['the default undici transport', () => ({})],
  ['an http.Agent transport', () => ({ transport: new http.Agent() })],
])('repeated request header lines on the HTTP path, with %s', (_name, extra) => {
  it('reach the backend as separate lines, in the order sent', async () => {
    const backend = await startRecorder();
    opened.push(backend);
    const options = extra();
    const proxy = await startProxy({ location: backend.url, useRequestLocation: true, ...options });
    opened.push({
      ...proxy,
      close: async () => {
        await proxy.close();
        (options.transport as http.Agent | undefined)?.destroy();
      },
    });
    const response = await rawRequest(
      proxy.port,
      [
        'GET /api HTTP/1.1',
        `Host: 127.0.0.1:${proxy.port}`,
        'X-Stream-Protocol-Version: v5.channel.k8s.io',
        'Authorization: Bearer one',
        'Accept: text/html',
        'X-Stream-Protocol-Version: v4.channel.k8s.io',
        'Authorization: Bearer two',
        'Accept: application/json',
        'Cookie: a=1',
        'X-Custom: x',
        'Cookie: b=2',
        'x-custom: y',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    );
    expect(response.status).toBe(200);
    const seen: Seen = backend.seen[0]!;
    expect(linesOf(seen.rawHeaders, 'x-stream-protocol-version')).toEqual([
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
    ]);
    expect(linesOf(seen.rawHeaders, 'authorization')).toEqual(['Bearer one', 'Bearer two']);
    expect(linesOf(seen.rawHeaders, 'accept')).toEqual(['text/html', 'application/json']);
    expect(linesOf(seen.rawHeaders, 'cookie')).toEqual(['a=1', 'b=2']);
    expect(linesOf(seen.rawHeaders, 'x-custom')).toEqual(['x', 'y']);
  });
});
