// Node's floor for an HTTP proxy on node:http: a keep-alive agent and `pipe` both ways, nothing
// else (no header hygiene, no error handling beyond a 502). Usage: node node-pipe.mjs <backend url>
// [ca=<file>]: an https:// backend is reached through a keep-alive https.Agent trusting that CA.
import http from 'node:http';
import { serve } from '../harness/serve.mjs';
import { clientCa } from '../harness/tls.mjs';

const [backend, ...args] = process.argv.slice(2);
const { hostname, port, protocol } = new URL(backend);
// node:https only for an https backend, as this package loads it (harness/serve.mjs says why).
const client = protocol === 'https:' ? await import('node:https') : http;
const agent =
  protocol === 'https:'
    ? new client.Agent({ keepAlive: true, ca: clientCa(args) })
    : new http.Agent({ keepAlive: true });

await serve((req, res) => {
  const upstream = client.request(
    { hostname, port, path: req.url, method: req.method, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
