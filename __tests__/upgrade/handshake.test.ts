// The wait for the backend's answer to an upgrade: responseHeaderTimeout, the client leaving, and
// the dial of an http location (its listeners gone once connected).
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { dial } from '../../lib/upgrade/dial.js';
import { parseLocation } from '../../lib/util/location.js';
import { closedPort, fakeResponder, startProxy, FAKE_STATUS } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const UPGRADE = 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';

/** A backend that accepts connections and answers only as `answer` says; it records each socket. */
async function startBackend(answer: (socket: net.Socket) => void = (socket) => socket.resume()) {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    answer(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    sockets,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Writes an upgrade request to the proxy and collects what comes back. */
async function upgradeClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'connect');
  socket.write(UPGRADE);
  return { socket, text: () => Buffer.concat(chunks).toString('latin1') };
}

describe('the wait for the backend', () => {
  it('ends at responseHeaderTimeout: the responder gets ERR_PROXY_BACKEND_TIMEOUT, the backend is closed', async () => {
    const backend = await startBackend(); // reads, never answers
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({
      location: backend.url,
      responseHeaderTimeout: 100,
      responder,
    });
    try {
      const client = await upgradeClient(proxy.port);
      await once(client.socket, 'close');
      expect(client.text()).toMatch(new RegExp(`^HTTP/1.1 ${FAKE_STATUS} `));
      expect(calls.map((err) => (err as { code?: string }).code)).toEqual([
        'ERR_PROXY_BACKEND_TIMEOUT',
      ]);
      await waitFor(() => backend.sockets[0]?.destroyed === true, 'the backend connection closed');
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('ends when the client leaves: the backend is closed long before the timeout, nobody answers', async () => {
    const backend = await startBackend();
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({ location: backend.url, responder }); // 60 s by default
    try {
      const client = await upgradeClient(proxy.port);
      await waitFor(() => backend.sockets.length === 1, 'the backend dialled');
      client.socket.end();
      await waitFor(() => backend.sockets[0]!.destroyed, 'the backend connection closed');
      await waitFor(() => client.socket.destroyed, 'the client connection closed');
      expect(client.text()).toBe('');
      expect(calls).toEqual([]);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });

  it('stops timing at the switch: a tunnel outlives responseHeaderTimeout', async () => {
    const backend = await startBackend((socket) => {
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
        );
        socket.on('data', (chunk: Buffer) => socket.write(chunk)); // echo
      });
    });
    const { responder, calls } = fakeResponder();
    const proxy = await startProxy({ location: backend.url, responseHeaderTimeout: 50, responder });
    try {
      const client = await upgradeClient(proxy.port);
      await waitFor(() => client.text().includes('\r\n\r\n'), 'the 101');
      await new Promise((resolve) => setTimeout(resolve, 200)); // four times the timeout
      client.socket.write('ping');
      await waitFor(() => client.text().endsWith('ping'), 'the echo');
      expect(calls).toEqual([]);
      expect(proxy.proxy.tunnels).toBe(1);
      client.socket.destroy();
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});

describe('dial, an http location through an agent with its own createConnection', () => {
  const agent = new http.Agent({ keepAlive: true });
  afterAll(() => agent.destroy());

  it('resolves with the connected socket and leaves only its error guard behind', async () => {
    const backend = await startBackend();
    try {
      const socket = await dial(agent, parseLocation(backend.url), {
        connectTimeout: 1000,
        proxyFromEnvironment: false,
        dial: undefined,
      });
      expect((socket as net.Socket).connecting).toBe(false);
      expect(socket.listenerCount('connect')).toBe(0);
      expect(socket.listenerCount('close')).toBe(0);
      expect(socket.listenerCount('error')).toBe(1); // errors never throw from the socket
      socket.destroy();
    } finally {
      await backend.close();
    }
  });

  it('rejects with the connection error of a refused port', async () => {
    const port = await closedPort();
    await expect(
      dial(agent, parseLocation(`http://127.0.0.1:${port}/`), {
        connectTimeout: 1000,
        proxyFromEnvironment: false,
        dial: undefined,
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
