/* What the demo prints on start: the address (first line, as `kubectl proxy` prints it), then
 * commands to paste, each on a line of its own so that no shell needs to understand comments. */

/**
 * A WebSocket client on one line, using the project's installed `ws` package: it sends `hello`
 * to `url`, prints the echo and closes. Run it in the project's directory. No `!` or `$`, so that it
 * pastes as is into an interactive shell.
 */
export function wsOneLiner(url: string): string {
  const script =
    `const W=require('ws');const s=new W('${url}');` +
    `s.on('open',()=>s.send('hello'));` +
    `s.on('message',m=>{console.log(String(m));s.close()});` +
    `s.on('error',e=>{console.error(e.message);process.exitCode=1})`;
  return `node -e "${script}"`;
}

/** The text printed on start, for the proxy on `port` and the backend on `backendPort`. */
export function banner(port: number, backendPort: number): string {
  const proxy = `http://127.0.0.1:${port}/proxy`;
  const backend = `http://127.0.0.1:${backendPort}`;
  return [
    `Starting to serve on 127.0.0.1:${port}`,
    '',
    `The demo backend is on ${backend}; the proxy serves it under /proxy.`,
    '',
    'Open the page in a browser: it opens a WebSocket and an EventSource through the proxy.',
    `  ${proxy}/`,
    '',
    'The JSON echo of a request, as the backend received it:',
    `  curl -s '${proxy}/echo?hello=world'`,
    'The same with a body:',
    `  curl -s -X POST -d 'some data' ${proxy}/echo`,
    'Server-sent events, one a second (Ctrl-C to stop):',
    `  curl -N ${proxy}/events`,
    "The page's links, rewritten under /proxy:",
    `  curl -s ${proxy}/ | grep href`,
    "A WebSocket echo, with the project's ws package (run it in the project's directory):",
    `  ${wsOneLiner(`ws://127.0.0.1:${port}/proxy/ws`)}`,
    '',
    'The command-line proxy in front of the same backend:',
    `  node dist/cli/main.js --target ${backend} --port 0`,
    '',
    'Ctrl-C stops the demo.',
    '',
  ].join('\n');
}
