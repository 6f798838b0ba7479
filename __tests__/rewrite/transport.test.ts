// The HTML rewriter (lib/rewrite/html/, with entities and the Go URL rules) is loaded with the first HTML answer, not
// when the proxy is made: a fresh node serving other answers never loads it. Runs the build
// (`npm run build`), as a user's process would.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');

/** What a fresh node has loaded before the proxy is made and after one answer of `contentType`. */
async function loadedServing(
  contentType: string,
): Promise<{ before: string[]; made: string[]; after: string[]; body: string }> {
  const script = `
    const http = require('node:http');
    const path = require('node:path');
    const { upgradeAware } = require('./dist/index.js');
    const loaded = () => Object.keys(require.cache)
      .filter((file) => /[\\\\/]dist[\\\\/]rewrite[\\\\/]html[\\\\/]|[\\\\/]node_modules[\\\\/](?:parse5|entities)[\\\\/]/.test(file))
      .map((file) => path.basename(file));
    const before = loaded();
    const backend = http.createServer((req, res) => {
      res.setHeader('content-type', ${JSON.stringify(contentType)});
      res.end('<a href="/x">');
    });
    backend.listen(0, '127.0.0.1', () => {
      const proxy = upgradeAware({ location: 'http://127.0.0.1:' + backend.address().port + '/' });
      const made = loaded();
      const server = http.createServer(proxy).listen(0, '127.0.0.1', () => {
        http.get({ host: '127.0.0.1', port: server.address().port, path: '/' }, (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => {
            process.stdout.write(JSON.stringify({ before, made, after: loaded(), body }));
            server.close();
            backend.close();
            proxy.close();
          });
        });
      });
    });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    cwd: ROOT,
    timeout: 20_000,
  });
  return JSON.parse(stdout) as { before: string[]; made: string[]; after: string[]; body: string };
}

describe('loading the HTML rewriter', () => {
  it('does not happen for a proxy that serves no HTML', async () => {
    const seen = await loadedServing('text/plain');
    expect(seen).toEqual({ before: [], made: [], after: [], body: '<a href="/x">' });
  });

  it('happens with the first HTML answer', async () => {
    const seen = await loadedServing('text/html; charset=utf-8');
    expect([seen.before, seen.made]).toEqual([[], []]);
    expect(seen.after).toEqual(expect.arrayContaining(['body.js', 'scanner.js']));
    expect(seen.body).toBe('<a href="/x">');
  });
});
