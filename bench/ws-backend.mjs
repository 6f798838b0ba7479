// The WebSocket backend every contender proxies to: a `ws` WebSocketServer on a node:http
// server that sends every message back as it came (binary stays binary), with no compression.
// A plain request gets `426 Upgrade Required`.
import { WebSocketServer } from 'ws';
import { serve } from './serve.mjs';

await serve((req, res) => {
  req.resume();
  res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
  res.end('WebSocket only\n');
}, (server) => {
  new WebSocketServer({ server, perMessageDeflate: false }).on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
});
