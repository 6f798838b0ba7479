// The load of the HTML throughput measurement, run as its own (pinned) process by scenarios/rewrite.mjs:
// `connections` keep-alive connections, each GETting `url` again and again until `seconds` have
// passed; the fetches under way then finish. Prints `{ fetches, bytes, seconds }` as JSON: whole
// responses, the bytes received (compressed, for a compressed page) and the time until the last
// one ended. Usage: node html-load.mjs <url> <seconds> <connections>
import http from 'node:http';

const [url, seconds, connections] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) });
const start = performance.now();
const until = start + Number(seconds) * 1000;
let fetches = 0;
let bytes = 0;

/** One GET, read to the end; resolves with its byte count. */
function fetchOnce() {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let length = 0;
        res.on('data', (chunk) => (length += chunk.length));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(length) : reject(new Error(`status ${res.statusCode}`)),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function connection() {
  while (performance.now() < until) {
    bytes += await fetchOnce();
    fetches++;
  }
}

await Promise.all(Array.from({ length: Number(connections) }, connection));
const elapsed = (performance.now() - start) / 1000;
agent.destroy();
process.stdout.write(JSON.stringify({ fetches, bytes, seconds: elapsed }));
