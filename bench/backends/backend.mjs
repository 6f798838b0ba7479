// The backend every contender proxies to (all scenarios but `rewrite`): one keep-alive node:http
// server on CPU 0.
//   GET /1m...      200 application/octet-stream, 1 MiB (the bytes of `largeBody()`)
//   POST (any path) 200, the request body echoed back as it streams in, with the request's Content-Length
//   GET (else)      200 text/plain, 100 bytes of `x`
//   upgrade /source a raw tunnel (Upgrade: bench-source) on which it writes as fast as the socket drains
//   upgrade /handshake  a WebSocket handshake answered by hand (RFC 6455 section 4.2.2), then nothing until
//                   the client closes: the handshake scenario's backend, so cheap that the proxy is what is measured
//   upgrade (else)  a `ws` WebSocketServer (no compression) that sends every message back as it came
// Asked for `stats`, it answers `{ webSockets, sources }`: the connections open now.
import { createHash } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { serve } from '../harness/serve.mjs';
import { largeBody, SMALL_BYTES } from './bodies.mjs';

const small = Buffer.alloc(SMALL_BYTES, 'x');
const large = largeBody();
const smallHead = { 'content-type': 'text/plain', 'content-length': small.length };
const largeHead = { 'content-type': 'application/octet-stream', 'content-length': large.length };
const CHUNK = Buffer.alloc(64 << 10, 's');
let sources = 0;

function handle(req, res) {
  if (req.method === 'POST') {
    const length = req.headers['content-length'];
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(length ? { 'content-length': length } : {}) });
    req.pipe(res);
    return;
  }
  req.resume();
  if (req.url.startsWith('/1m')) res.writeHead(200, largeHead).end(large);
  else res.writeHead(200, smallHead).end(small);
}

/** After a `101`, writes to `socket` as fast as it drains, until it closes. */
function source(socket) {
  sources++;
  let open = true;
  const pump = () => {
    while (open && socket.write(CHUNK));
  };
  socket.setNoDelay(true);
  socket.on('drain', pump).on('error', () => socket.destroy()).on('close', () => {
    open = false;
    sources--;
  });
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: bench-source\r\n\r\n');
  pump();
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A `101` for a valid WebSocket upgrade request, a `400` and a close for anything else. */
function handshake(req, socket) {
  const key = req.headers['sec-websocket-key'];
  socket.on('error', () => socket.destroy());
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !/^[A-Za-z0-9+/]{22}==$/.test(key ?? '')) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.setNoDelay(true);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.on('end', () => socket.destroy()).resume(); // nothing more comes: the client closes the connection
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

await serve(handle, (server) => {
  server.on('upgrade', (req, socket, head) => {
    if (req.url.startsWith('/source')) source(socket);
    else if (req.url.startsWith('/handshake')) handshake(req, socket);
    else wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
}, () => ({ webSockets: wss.clients.size, sources }));
