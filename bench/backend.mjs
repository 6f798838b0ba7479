// The backend every contender proxies to: a keep-alive node:http server answering
// `200 text/plain` with a fixed body. Usage: node backend.mjs <body bytes>
import { serve } from './serve.mjs';

const body = Buffer.alloc(Number(process.argv[2] ?? 100), 'x');
const head = { 'content-type': 'text/plain', 'content-length': body.length };

await serve((req, res) => {
  req.resume();
  res.writeHead(200, head);
  res.end(body);
});
