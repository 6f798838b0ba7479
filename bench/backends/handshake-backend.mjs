// The backend of the `handshakes` scenario: a raw TCP server that answers WebSocket upgrade
// requests by hand (RFC 6455 section 4.2.2), with no HTTP parser and no WebSocket library, so that
// CPU 0 (where it runs with the load) has room to spare and the proxy is what is measured. It reads
// up to the end of the request head, checks that it is a GET with `Upgrade: websocket` and a
// well-formed key, answers `101` with the matching `Sec-WebSocket-Accept` and closes its side at
// once. Anything else gets a `400` and a close.
// Closing first leaves the TIME_WAIT of each proxy-to-backend connection here, where it does not
// block new connections, and the client resets its connection instead of closing it: at 2000
// handshakes a second, TIME_WAITs on the connecting side fill the 28,000 ephemeral ports within
// seconds, and in a long run every contender's rate collapsed to a tenth.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { announce } from '../harness/serve.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HEAD = 16 * 1024;
const BAD = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** The `101` for the request head `head`, or undefined when it is not a WebSocket upgrade. */
function switching(head) {
  if (!head.startsWith('GET ') || !/\r\nupgrade:[ \t]*websocket[ \t]*\r\n/i.test(head))
    return undefined;
  const key = /\r\nsec-websocket-key:[ \t]*([A-Za-z0-9+/]{22}==)[ \t]*\r\n/i.exec(head)?.[1];
  if (key === undefined) return undefined;
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
}

let open = 0;
const server = net.createServer({ noDelay: true }, (socket) => {
  open++;
  let head = '';
  const onData = (chunk) => {
    head += chunk.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) {
      if (head.length > MAX_HEAD) socket.end(BAD);
      return;
    }
    socket.removeListener('data', onData).resume(); // whatever follows is read and dropped
    const answer = switching(head.slice(0, end + 2));
    socket.end(answer ?? BAD);
  };
  socket
    .on('data', onData)
    .on('end', () => socket.destroy())
    .on('error', () => socket.destroy())
    .on('close', () => open--);
});
await announce(server, () => ({ open }));
