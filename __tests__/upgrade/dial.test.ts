// Spec 9.3 TestDialURL, as far as an agent can express it: a TLS server with a certificate for
// 127.0.0.1, ::1 and example.com offering ALPN h2 and http/1.1, dialled at 127.0.0.1 through
// the agent's own createConnection or a custom one.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseLocation } from '../../lib/util/location.js';
import { dial, tlsOptions, upgradeAlpn } from '../../lib/upgrade/dial.js';
import { makeTls, type TlsFixture } from '../fixtures/tls.js';

let fixture: TlsFixture;
let server: tls.Server;
let port: number;
const serverSockets = new Set<net.Socket>();
const dialled = new Set<Duplex>();
const agents: http.Agent[] = [];

beforeAll(async () => {
  fixture = makeTls();
  server = tls.createServer({
    key: fixture.key,
    cert: fixture.cert,
    ALPNProtocols: ['h2', 'http/1.1'],
  });
  server.on('connection', (socket: net.Socket) => {
    serverSockets.add(socket);
    socket.once('close', () => serverSockets.delete(socket));
  });
  server.on('tlsClientError', () => {}); // the failing cases abort their handshakes
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterEach(() => {
  for (const socket of dialled) socket.destroy();
  dialled.clear();
  for (const agent of agents.splice(0)) agent.destroy();
});

afterAll(async () => {
  for (const socket of serverSockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

type DialerKind = 'none' | 'plain socket' | 'own TLS socket';

/** An https.Agent whose createConnection is replaced, counting its calls, or the agent as Node makes it. */
function agentWith(
  options: https.AgentOptions,
  kind: DialerKind,
): https.Agent & { calls: number; made: net.Socket[] } {
  const agent = Object.assign(new https.Agent(options), { calls: 0, made: [] as net.Socket[] });
  agents.push(agent);
  if (kind === 'plain socket') {
    // A custom dialer that only does TCP (Go's DialContext): the TLS is the proxy's to add.
    agent.createConnection = (opts: net.NetConnectOpts & { host: string; port: number }) => {
      agent.calls++;
      return agent.made[agent.made.push(net.connect({ host: opts.host, port: opts.port })) - 1]!;
    };
  } else if (kind === 'own TLS socket') {
    agent.createConnection = (opts: tls.ConnectionOptions) => {
      agent.calls++;
      return agent.made[agent.made.push(tls.connect(opts)) - 1]!;
    };
  }
  return agent;
}

async function dialServer(agent: http.Agent): Promise<tls.TLSSocket> {
  const socket = await dial(agent, parseLocation(`https://127.0.0.1:${port}/`));
  dialled.add(socket);
  return socket as tls.TLSSocket;
}

/** What a dial that must fail rejects with. */
async function dialError(agent: http.Agent): Promise<NodeJS.ErrnoException> {
  const err = await dialServer(agent).then(
    () => new Error('the dial succeeded'),
    (e: NodeJS.ErrnoException) => e,
  );
  if (err.message === 'the dial succeeded') throw err;
  return err;
}

describe('dial', () => {
  const kinds: DialerKind[] = ['none', 'plain socket', 'own TLS socket'];

  describe.each(kinds)('with custom dialer: %s', (kind) => {
    const expectDialer = (agent: { calls: number }): void => {
      expect(agent.calls).toBe(kind === 'none' ? 0 : 1);
    };
    /** A failed handshake leaves nothing open: the dialer's socket is destroyed too. */
    const expectClosed = (agent: { made: net.Socket[] }): void => {
      for (const socket of agent.made) expect(socket.destroyed).toBe(true);
    };

    it('insecure: connects without verifying when the agent says rejectUnauthorized: false', async () => {
      const agent = agentWith({ rejectUnauthorized: false }, kind);
      const socket = await dialServer(agent);
      expect(socket).toBeInstanceOf(tls.TLSSocket);
      expect(socket.encrypted).toBe(true);
      expect(socket.authorized).toBe(false);
      expectDialer(agent);
    });

    it('secure, no roots: fails with an unknown-authority error', async () => {
      const agent = agentWith({}, kind);
      const err = await dialError(agent);
      expect(err.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(err.message).toMatch(/unable to verify/);
      expectDialer(agent);
      expectClosed(agent);
    });

    it("secure with roots: verifies the certificate against the agent's ca", async () => {
      const agent = agentWith({ ca: fixture.ca }, kind);
      const socket = await dialServer(agent);
      expect(socket.authorized).toBe(true);
      expectDialer(agent);
    });

    it('secure with mismatched server: fails when the certificate is not for the servername', async () => {
      const agent = agentWith({ ca: fixture.ca, servername: 'bogus.com' }, kind);
      const err = await dialError(agent);
      expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(err.message).toContain('bogus.com');
      expectDialer(agent);
      expectClosed(agent);
    });

    it('secure with matched server: verifies against the servername, not the dialled address', async () => {
      const agent = agentWith({ ca: fixture.ca, servername: 'example.com' }, kind);
      const socket = await dialServer(agent);
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerCertificate().subjectaltname).toContain('DNS:example.com');
      expectDialer(agent);
    });
  });

  describe('ALPN', () => {
    it.each(kinds)('uses h2 if it is all the agent offers (custom dialer: %s)', async (kind) => {
      const agent = agentWith(
        { ca: fixture.ca, servername: 'example.com', ALPNProtocols: ['h2'] },
        kind,
      );
      const socket = await dialServer(agent);
      expect(socket.alpnProtocol).toBe('h2');
    });

    it.each(kinds)(
      'uses http/1.1 if the agent offers nothing (custom dialer: %s)',
      async (kind) => {
        const agent = agentWith({ ca: fixture.ca, servername: 'example.com' }, kind);
        const socket = await dialServer(agent);
        expect(socket.alpnProtocol).toBe('http/1.1');
      },
    );

    it.each(kinds)(
      'uses http/1.1 if the agent offers it next to h2 (custom dialer: %s)',
      async (kind) => {
        const agent = agentWith(
          { ca: fixture.ca, servername: 'example.com', ALPNProtocols: ['h2', 'http/1.1'] },
          kind,
        );
        const socket = await dialServer(agent);
        expect(socket.alpnProtocol).toBe('http/1.1');
      },
    );
  });

  it.each(kinds)("never changes the agent's options (custom dialer: %s)", async (kind) => {
    const given: https.AgentOptions = {
      ca: fixture.ca,
      servername: 'example.com',
      ALPNProtocols: ['h2', 'http/1.1'],
      keepAlive: true,
    };
    const givenCopy = { ...given, ALPNProtocols: [...(given.ALPNProtocols as string[])] };
    const agent = agentWith(given, kind);
    const options = (agent as unknown as { options: Record<string, unknown> }).options;
    const before = { ...options, ALPNProtocols: [...(options.ALPNProtocols as string[])] };
    const alpn = options.ALPNProtocols;
    await dialServer(agent);
    expect(given).toEqual(givenCopy);
    expect({ ...options }).toEqual(before);
    expect(options.ALPNProtocols).toBe(alpn);
    expect(alpn).toEqual(['h2', 'http/1.1']);
  });

  it("connects plain TCP for an http location, through the agent's createConnection", async () => {
    const plain = net.createServer((socket) => socket.end('hi'));
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    const agent = new http.Agent();
    agents.push(agent);
    let calls = 0;
    const original = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof original>) => {
      calls++;
      return original(...args);
    };
    try {
      const socket = await dial(
        agent,
        parseLocation(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/`),
      );
      dialled.add(socket);
      expect(socket).not.toBeInstanceOf(tls.TLSSocket);
      expect(calls).toBe(1);
      const [data] = (await once(socket, 'data')) as [Buffer];
      expect(data.toString()).toBe('hi');
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  it('rejects with the socket error when the connection is refused', async () => {
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const refused = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const agent = new http.Agent();
    agents.push(agent);
    await expect(dial(agent, parseLocation(`http://127.0.0.1:${refused}/`))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});

describe('upgradeAlpn', () => {
  it('offers http/1.1 when the agent offers nothing', () => {
    expect(upgradeAlpn(undefined)).toEqual(['http/1.1']);
    expect(upgradeAlpn([])).toEqual(['http/1.1']);
  });

  it('narrows the offer to http/1.1 when the agent allows it', () => {
    expect(upgradeAlpn(['h2', 'http/1.1'])).toEqual(['http/1.1']);
  });

  it('keeps an offer without http/1.1', () => {
    expect(upgradeAlpn(['h2'])).toBeUndefined();
  });
});

describe('tlsOptions', () => {
  it('takes the servername from a DNS host and sends none for an IP address', () => {
    const agent = new https.Agent();
    agents.push(agent);
    expect(tlsOptions(agent, parseLocation('https://example.com:8443/x')).servername).toBe(
      'example.com',
    );
    expect(tlsOptions(agent, parseLocation('https://127.0.0.1/x')).servername).toBeUndefined();
    expect(tlsOptions(agent, parseLocation('https://[::1]:8443/x'))).toMatchObject({
      host: '::1',
      port: 8443,
    });
  });

  it("keeps the agent's servername, ca and rejectUnauthorized", () => {
    const agent = new https.Agent({
      servername: 'example.com',
      ca: 'CA',
      rejectUnauthorized: false,
    });
    agents.push(agent);
    expect(tlsOptions(agent, parseLocation('https://127.0.0.1:1/'))).toMatchObject({
      servername: 'example.com',
      ca: 'CA',
      rejectUnauthorized: false,
      host: '127.0.0.1',
      port: 1,
      ALPNProtocols: ['http/1.1'],
    });
  });
});

describe('dial with upgradeTransport.dial and connectTimeout', () => {
  const base = { connectTimeout: 0, proxyFromEnvironment: false };

  it("puts TLS with the agent's settings on the plain socket the hook returns, never calling the agent", async () => {
    const agent = agentWith({ ca: fixture.ca }, 'none');
    agent.createConnection = () => {
      throw new Error('the agent must not dial');
    };
    const urls: string[] = [];
    const socket = await dial(agent, parseLocation(`https://example.com:1/p?q`), {
      ...base,
      dial: (url) => (urls.push(url.href), net.connect(port, '127.0.0.1')),
    });
    dialled.add(socket);
    expect(urls).toEqual(['https://example.com:1/p?q']);
    expect(socket).toBeInstanceOf(tls.TLSSocket);
    expect((socket as tls.TLSSocket).authorized).toBe(true);
  });

  it('rejects when the hook returns something that is not a stream', async () => {
    const agent = agentWith({}, 'none');
    await expect(
      dial(agent, parseLocation('http://example.com/'), {
        ...base,
        dial: () => undefined as unknown as Duplex,
      }),
    ).rejects.toThrow('upgradeTransport.dial did not return a stream');
  });

  it("times out with Go's text, and destroys a socket that arrives late", async () => {
    const agent = agentWith({}, 'none');
    let late: ((socket: Duplex) => void) | undefined;
    const pending = dial(agent, parseLocation('http://[::1]:8080/'), {
      ...base,
      connectTimeout: 50,
      dial: () => new Promise<Duplex>((resolve) => (late = resolve)),
    });
    await expect(pending).rejects.toThrow('dial tcp [::1]:8080: i/o timeout');
    const socket = net.connect(port, '127.0.0.1');
    late!(socket);
    await once(socket, 'close');
    expect(socket.destroyed).toBe(true);
  });
});
