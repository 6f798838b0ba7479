// Node's floor for an HTTP proxy on node:http: a keep-alive agent and `pipe` both ways, nothing
// else (no header hygiene, no error handling beyond a 502). Usage: node node-pipe.mjs <backend url>
import http from 'node:http';
import { serve } from '../harness/serve.mjs';

const [backend] = process.argv.slice(2);
const { hostname, port } = new URL(backend);
const agent = new http.Agent({ keepAlive: true });

await serve((req, res) => {
  const upstream = http.request({ hostname, port, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
