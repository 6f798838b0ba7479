/**
 * A kubeconfig cluster's `proxy-url` (client-go's `Cluster.ProxyURL`): every connection to the
 * cluster, requests and upgrades alike, goes through a CONNECT tunnel opened by that http or https
 * proxy, with TLS to the cluster on top for an https server. Unlike HTTPS_PROXY it applies to
 * every host, loopback included, as client-go's `http.ProxyURL` does.
 */
import http from 'node:http';
import https from 'node:https';
import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

type Callback = (err: Error | null, socket?: Duplex) => void;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The CONNECT request's headers: the target as Host, and Basic credentials from the URL when it has a user. */
function connectHeaders(proxy: URL, authority: string): http.OutgoingHttpHeaders {
  if (proxy.username === '' && proxy.password === '') return { host: authority };
  const pair = `${decoded(proxy.username)}:${decoded(proxy.password)}`;
  return {
    host: authority,
    'proxy-authorization': `Basic ${Buffer.from(pair).toString('base64')}`,
  };
}

/** A CONNECT tunnel to `authority` through `proxy`, with Node's own client (its head limits apply). */
function tunnel(proxy: URL, authority: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const secure = proxy.protocol === 'https:';
    const request = (secure ? https : http).request({
      host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(proxy.port) || (secure ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers: connectHeaders(proxy, authority),
      agent: false,
    });
    request.once('connect', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300 && head.length === 0) return resolve(socket);
      socket.destroy();
      reject(new Error(`proxy refused CONNECT: ${status} ${res.statusMessage ?? ''}`.trim()));
    });
    request.once('error', (err) =>
      reject(new Error(`proxyconnect tcp: ${err.message}`, { cause: err })),
    );
    request.end();
  });
}

/**
 * The cluster's agent when its kubeconfig names a `proxy-url`: `options` (keep-alive, TLS
 * settings) as for a direct agent; each new connection is a tunnel through `proxy`.
 *
 * @param proxy - The proxy, http or https (the kubeconfig reader refuses other schemes).
 * @param secure - Whether the cluster's server is https.
 * @example const agent = proxiedAgent(new URL('http://proxy:3128'), true, { keepAlive: true, ca });
 */
export function proxiedAgent(proxy: URL, secure: boolean, options: https.AgentOptions): http.Agent {
  const Base = secure ? https.Agent : http.Agent;
  class ProxyUrlAgent extends Base {
    override createConnection(opts: tls.ConnectionOptions, callback: Callback): Duplex {
      const host = String(opts.host);
      const port = Number(opts.port) || (secure ? 443 : 80);
      tunnel(proxy, isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`).then(
        (socket) => callback(null, secure ? tls.connect({ ...opts, socket }) : socket),
        (err: Error) => callback(err),
      );
      return undefined as unknown as Duplex;
    }
  }
  return new ProxyUrlAgent(options);
}
