// Node's floor for an HTTP proxy with undici as the backend client: a node:http server in front of
// a bare undici Pool (`pool.stream` writes the body straight into the response), nothing else.
// Usage: node undici-pool.mjs <backend url>
import { Pool } from 'undici';
import { serve } from '../harness/serve.mjs';

const [backend] = process.argv.slice(2);
const pool = new Pool(backend, { connections: 128, pipelining: 1 });

await serve((req, res) => {
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
  pool.stream(
    { path: req.url, method: req.method, headers: req.headers, body },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, headers);
      return res;
    },
    (err) => {
      if (!err) return;
      if (!res.headersSent) res.writeHead(502);
      res.end();
    },
  );
});
