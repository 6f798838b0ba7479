/* The demo backend's web page, its script and its stylesheet. Every link the backend writes is
 * root-relative (`/echo`, `/events`, `/ws`, `/app.js`, `/style.css`): served through the proxy
 * mounted at `/proxy`, the rewriting transport turns them into `/proxy/...`, and the script finds
 * the WebSocket and event-stream URLs in those rewritten links, so both go back through the proxy. */

/** What the page says about the request that fetched it. */
export interface PageRequest {
  /** The backend's own `127.0.0.1:PORT`. */
  backend: string;
  /** The request line's target as the backend received it. */
  url: string;
  /** The `X-Forwarded-Uri` header the proxy set, if the page came through it. */
  forwardedUri: string | undefined;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` made safe to place in HTML text or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** One sentence on how the request reached the backend: through the rewriting transport or not. */
function howItArrived(request: PageRequest): string {
  const line = `<code>GET ${escapeHtml(request.url)}</code>`;
  if (request.forwardedUri === undefined) {
    return `The backend received ${line} without <code>X-Forwarded-Uri</code>: no rewriting transport was on the way (a direct request, or a proxy without one).`;
  }
  return `The backend received ${line}, with <code>X-Forwarded-Uri: ${escapeHtml(request.forwardedUri)}</code>: the path you asked the proxy for.`;
}

/** The demo's HTML page. */
export function renderPage(request: PageRequest): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>upgrade-aware-proxy demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/style.css">
<script src="/app.js" defer></script>
</head>
<body>
<main>
<h1>upgrade-aware-proxy demo</h1>
<p>This page comes from a small backend on <code>${escapeHtml(request.backend)}</code>.
Its links are written as root-relative paths such as <code>/echo</code>. Served through the proxy
mounted at <code>/proxy</code>, the proxy's rewriting transport turns them into
<code>/proxy/echo</code>, so that they lead back through the proxy.</p>
<p id="arrival">${howItArrived(request)}</p>
<h2>Links</h2>
<ul id="links">
<li><a id="echo-link" href="/echo?hello=world">/echo?hello=world</a>: the request as the backend received it, in JSON</li>
<li><a id="events-link" href="/events">/events</a>: server-sent events, one a second</li>
<li><a id="ws-link" href="/ws">/ws</a>: a WebSocket echo (a plain GET gets the JSON echo)</li>
</ul>
<h2>Live, through the proxy</h2>
<dl>
<dt>WebSocket <code id="ws-url"></code></dt>
<dd id="ws-status">connecting…</dd>
<dt>EventSource <code id="sse-url"></code></dt>
<dd id="sse-status">connecting…</dd>
</dl>
</main>
</body>
</html>
`;
}

/** The page's script: it shows each link's `href` as served, then opens a WebSocket and an EventSource at the rewritten URLs. */
export const APP_JS = `'use strict';
// The URLs come from links the proxy rewrote, so the WebSocket and the EventSource go through it too.
const byId = (id) => document.getElementById(id);

function showHrefs() {
  for (const a of document.querySelectorAll('#links a')) {
    const served = document.createElement('code');
    served.className = 'href';
    served.textContent = 'href="' + a.getAttribute('href') + '"';
    a.after(' ', served);
  }
}

function openWebSocket() {
  const url = new URL(byId('ws-link').href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  byId('ws-url').textContent = url.href;
  const socket = new WebSocket(url);
  let sent = 0;
  let timer;
  const send = () => socket.send('hello ' + ++sent);
  socket.onopen = () => {
    byId('ws-status').textContent = 'open';
    send();
    timer = setInterval(send, 2000);
  };
  socket.onmessage = (event) => { byId('ws-status').textContent = 'echo: ' + event.data; };
  socket.onclose = (event) => {
    clearInterval(timer);
    byId('ws-status').textContent = 'closed (code ' + event.code + ')';
  };
}

function openEvents() {
  const url = byId('events-link').href;
  byId('sse-url').textContent = url;
  const source = new EventSource(url);
  source.onmessage = (event) => { byId('sse-status').textContent = 'event ' + event.lastEventId + ': ' + event.data; };
  source.onerror = () => { byId('sse-status').textContent = 'reconnecting…'; };
}

showHrefs();
openWebSocket();
openEvents();
`;

/** The page's stylesheet. */
export const STYLE_CSS = `body { font: 16px/1.5 system-ui, sans-serif; color: #1f2328; background: #f6f8fa; margin: 0; }
main { max-width: 46rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; }
h1 { font-size: 1.6rem; margin-top: 0; }
h2 { font-size: 1.15rem; margin-top: 1.5rem; }
code { font: 0.9em ui-monospace, monospace; background: #eff1f3; padding: 0.1em 0.3em; border-radius: 4px; }
code.href { color: #1a7f37; }
a { color: #0969da; }
dt { font-weight: 600; margin-top: 0.75rem; }
dd { margin: 0.25rem 0 0; font-family: ui-monospace, monospace; }
dd::before { content: "\\25CF  "; color: #1a7f37; }
`;
