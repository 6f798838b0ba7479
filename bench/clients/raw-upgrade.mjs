// A lean upgrade handshake over a raw socket, shared by the handshake, idle-tunnel and throttle
// clients: no WebSocket library, so the client costs little next to the proxy.
import net from 'node:net';

/** A fixed, valid key: the servers only check its form (RFC 6455 §4.2.1). */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The request bytes of an upgrade to `token` (WebSocket headers included) for `path` at `url`. */
export function upgradeRequest(url, path, token = 'websocket') {
  const { host } = new URL(url);
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: ${token}\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n\r\n`,
  );
}

/**
 * Connects to `url`, writes `request` and reads until the end of the response head. Resolves with
 * `{ socket, rest }` (the bytes after the head) on a `101`; rejects on another status, an error,
 * or a close before the head ends. The socket is left open and paused: the caller owns it.
 */
export function handshake(url, request) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
    let head = Buffer.alloc(0);
    const fail = (err) => {
      socket.destroy();
      reject(err);
    };
    const onData = (chunk) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData).off('error', fail).off('close', onClose).pause();
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!status.startsWith('HTTP/1.1 101 ')) fail(new Error(`not a 101: ${status}`));
      else resolve({ socket, rest: head.subarray(end + 4) });
    };
    const onClose = () => reject(new Error('closed before the end of the response head'));
    socket.on('data', onData).on('error', fail).on('close', onClose);
    socket.write(request);
  });
}
