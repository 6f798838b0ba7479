/**
 * A connection to a backend through a forward proxy's CONNECT tunnel (RFC 9110 section 9.3.6), as
 * Go's transport and Kubernetes' upgrade dialer open one; the caller puts TLS on top for an https
 * backend (docs/options.md, "proxyFromEnvironment").
 */
import net, { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { hostPort } from './connect-deadline.js';
import { isTlsSocket, tlsModule } from './tls-modules.js';

/** The proxy's answer head is a status line and a few headers; 16 KiB bounds what is held. */
export const MAX_CONNECT_ANSWER = 16 * 1024;

const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');

function noop(): void {}

/** Resolves once `socket` emits `event`; an error, or a close before it, rejects. */
export function ready(socket: Duplex, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      socket.removeListener(event, onReady);
      socket.removeListener('error', done);
      socket.removeListener('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onReady = (): void => done();
    const onClose = (): void => done(new Error('connection closed while dialing'));
    socket.once(event, onReady);
    socket.once('error', done);
    socket.once('close', onClose);
  });
}

/** The URL's user information, decoded, as Go's `proxyAuth` sends it: Basic, when a user is named. */
function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const pair = `${decode(proxy.username)}:${decode(proxy.password)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/** The CONNECT request head: the authority as the target and as Host, and the proxy's credentials. */
export function connectHead(proxy: URL, authority: string): string {
  const auth = proxyAuthorization(proxy);
  const credentials = auth ? `Proxy-Authorization: ${auth}\r\n` : '';
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${credentials}\r\n`;
}

/** A status line safe to put in an error message: printable ASCII, at most 128 characters. */
function printable(line: string): string {
  return line.replace(/[^\x20-\x7e]/g, '?').slice(0, 128);
}

/**
 * Reads the proxy's answer up to its blank line, in paused mode ('readable' and `read()`), so that
 * the socket hands over with nothing consumed past it and nothing lost. A 2xx opens the tunnel;
 * anything else, a head over {@link MAX_CONNECT_ANSWER}, or bytes after the head (the backend cannot
 * speak first) fails with the proxy's status line.
 */
export function readConnectAnswer(socket: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    let held = Buffer.alloc(0);
    const finish = (err?: Error): void => {
      socket.removeListener('readable', onReadable);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', finish);
      if (err) reject(err);
      else resolve();
    };
    const onEnd = (): void => finish(new Error('proxyconnect tcp: unexpected EOF'));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        held = Buffer.concat([held, chunk]);
        const end = held.indexOf(BLANK_LINE);
        if (end !== -1) return finish(answerError(held, end));
        if (held.length > MAX_CONNECT_ANSWER)
          return finish(
            new Error('proxyconnect tcp: the proxy answered CONNECT with a head over 16 KiB'),
          );
      }
    };
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', finish);
  });
}

/** Undefined for a 2xx head with nothing after it; otherwise the error to fail with. */
function answerError(held: Buffer, end: number): Error | undefined {
  const line = held.subarray(0, held.indexOf('\r\n')).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(line);
  if (!status || status[1]![0] !== '2')
    return new Error(`proxy refused CONNECT: ${JSON.stringify(printable(line))}`);
  if (held.length > end + BLANK_LINE.length)
    return new Error('proxyconnect tcp: the proxy sent bytes after its CONNECT answer');
  return undefined;
}

/** A connection to the proxy itself: TCP, or TLS verified against its host name for an https proxy. */
function connectToProxy(proxy: URL): Duplex {
  const host = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
  const https = proxy.protocol === 'https:';
  const port = Number(proxy.port) || (https ? 443 : 80);
  if (!https) return net.connect({ host, port });
  const servername = isIP(host) === 0 ? host : undefined;
  return tlsModule().connect({ host, port, servername, ALPNProtocols: ['http/1.1'] });
}

/**
 * Opens a CONNECT tunnel to `hostname:port` through `proxy` (http or https) and resolves with the
 * socket, ready for the backend's bytes; `track` sees the socket as soon as it exists (for
 * `connectTimeout`). Errors reaching the proxy read `proxyconnect tcp: ...`, as Go's.
 */
export async function openTunnel(
  proxy: URL,
  hostname: string,
  port: number,
  track: (socket: Duplex) => Duplex = (socket) => socket,
): Promise<Duplex> {
  const socket = track(connectToProxy(proxy));
  socket.on('error', noop); // read through the promises below; the caller adds its own
  try {
    await ready(socket, isTlsSocket(socket) ? 'secureConnect' : 'connect').catch((err: Error) => {
      throw new Error(`proxyconnect tcp: ${err.message}`, { cause: err });
    });
    socket.write(connectHead(proxy, hostPort(hostname, port)), 'latin1');
    await readConnectAnswer(socket);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}
