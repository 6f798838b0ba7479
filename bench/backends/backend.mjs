// The backend every contender proxies to (all scenarios but `rewrite`): one keep-alive node:http
// server on CPU 0.
//   GET /1m...      200 application/octet-stream, 1 MiB (the bytes of `largeBody()`)
//   POST (any path) 200, the request body echoed back as it streams in, with the request's Content-Length
//   GET (else)      200 text/plain, 100 bytes of `x`
//   upgrade /source a raw tunnel (Upgrade: bench-source) on which it writes as fast as the socket drains
//   upgrade (else)  a `ws` WebSocketServer (no compression) that sends every message back as it came
// Asked for `stats`, it answers `{ webSockets, sources }`: the connections open now.
// Usage: node backend.mjs [tls=<dir>]: with `tls`, the same over HTTPS with the bench certificate
// in <dir> (harness/tls.mjs), for the contenders that reach their backend over TLS.
import { WebSocketServer } from 'ws';
import { serve } from '../harness/serve.mjs';
import { serverTls } from '../harness/tls.mjs';
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
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      ...(length ? { 'content-length': length } : {}),
    });
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
  socket
    .on('drain', pump)
    .on('error', () => socket.destroy())
    .on('close', () => {
      open = false;
      sources--;
    });
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: bench-source\r\n\r\n',
  );
  pump();
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

await serve(
  handle,
  (server) => {
    server.on('upgrade', (req, socket, head) => {
      if (req.url.startsWith('/source')) source(socket);
      else wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
  },
  () => ({ webSockets: wss.clients.size, sources }),
  serverTls(process.argv.slice(2)),
);
