/**
 * The command-line proxy's server, wired as kubectl proxy wires its own (kubectl
 * `pkg/proxy/proxy_server.go`, `NewServer` and `NewProxyHandler`), on the public API: route (API
 * prefix, static prefix) → filter → bearer token → `upgradeAware`, for plain requests and
 * upgrades alike.
 *
 * The proxy is built as kubectl builds it: the request's path and query are forwarded
 * (`useRequestLocation`), the backend's host is sent as `Host` (`useLocationHost`), the server path
 * only with `--append-server-path`, and a transport is given, so nothing is rewritten.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ProxyError, upgradeAware } from '../index.js';
import type { UpgradeAwareMiddleware } from '../index.js';
import type { AccessLog } from './access-log.js';
import type { Metrics } from './metrics.js';
import type { Backend } from './backend.js';
import { createFilter, parseRegexpList } from './filter.js';
import type { RequestFilter } from './filter.js';
import type { CliOptions } from './cli-options.js';
import { createRouter } from './routes.js';
import type { Route } from './routes.js';
import {
  answerOnSocket,
  answerRouteOnSocket,
  answerUnreadableHead,
  PLAIN_TEXT,
} from './socket-answers.js';
import { sendText, serveStatic } from './static-files.js';

/** What the server reports besides responses. */
export interface ServerLogs {
  /** The access log, or none with `--quiet`. */
  access?: AccessLog;
  /** `--metrics`: its path is answered with the counts before routing (docs/cli.md, "Metrics"). */
  metrics?: Metrics;
  /** Errors the proxy answered with, one line each (kubectl logs them with klog). */
  error(line: string): void;
}

/** The running proxy server. */
export interface CliServer {
  server: http.Server;
  proxy: UpgradeAwareMiddleware;
  /**
   * Stops accepting, ends the tunnels and closes idle connections at once; connections still
   * busy are given `graceMs` to finish, then closed. Resolves when everything is closed.
   */
  close(graceMs?: number): Promise<void>;
}

const FORBIDDEN = 'Forbidden\n';

/**
 * The longest request head the server reads: Go's `http.DefaultMaxHeaderBytes` (1 MiB), which kubectl
 * proxy keeps, plus the 4096 bytes Go's server reads beyond it before it gives up
 * (`initialReadLimitSize`). Node's default (16 KiB) would refuse a 40 KiB query kubectl forwards.
 */
export const MAX_REQUEST_HEAD_BYTES = (1 << 20) + 4096;

function filterOf(options: CliOptions): RequestFilter | undefined {
  if (options.disableFilter) return undefined;
  return createFilter({
    acceptPaths: parseRegexpList(options.acceptPaths, 'accept-paths'),
    rejectPaths: parseRegexpList(options.rejectPaths, 'reject-paths'),
    acceptHosts: parseRegexpList(options.acceptHosts, 'accept-hosts'),
    rejectMethods: parseRegexpList(options.rejectMethods, 'reject-methods'),
  });
}

/** kubectl's responder: the message and a newline as text/plain; our status (502, 503, 504 ...) rather than a flat 500. */
function responderFor(logs: ServerLogs) {
  return (err: Error, _req: IncomingMessage, res: ServerResponse): void => {
    logs.error(`Error while proxying request: ${err.message}`);
    sendText(res, err instanceof ProxyError ? err.status : 500, `${err.message}\n`);
  };
}

/**
 * Creates the server (not yet listening).
 *
 * @param options The parsed command line.
 * @param backend The resolved backend.
 * @param logs Where the access log and the error lines go.
 */
export function createCliServer(
  options: CliOptions,
  backend: Backend,
  logs: ServerLogs,
): CliServer {
  const proxy = upgradeAware({
    location: backend.location,
    transport: backend.agent,
    useRequestLocation: true,
    useLocationHost: true,
    appendLocationPath: options.appendServerPath,
    maxBytesPerSec: options.maxBytesPerSec,
    responder: responderFor(logs),
    // kubectl dials with client-go's dialer, whose Timeout is 30 s (client-go transport/cache.go).
    connectTimeout: 30_000,
  });
  const route = createRouter({
    apiPrefix: options.apiPrefix,
    wwwPrefix: options.www ? options.wwwPrefix : undefined,
  });
  const accept = filterOf(options);

  /** The proxy's part for either kind of request: false when the filter refuses it. */
  const admit = (req: IncomingMessage, target: Extract<Route, { kind: 'proxy' }>): boolean => {
    // Go takes the host of an absolute-form request target as the request's host.
    if (target.host !== undefined) req.headers.host = target.host;
    if (accept && !accept(req, target.path)) return false;
    req.url = target.url;
    // client-go's bearer-token round tripper: a request's own non-empty Authorization is left
    // alone; an empty one is replaced (it tests `len(req.Header.Get("Authorization")) != 0`).
    if (backend.token !== undefined && !req.headers.authorization) {
      req.headers.authorization = `Bearer ${backend.token}`;
    }
    return true;
  };

  const server = http.createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, (req, res) => {
    logs.access?.request(req, res);
    if (logs.metrics?.answer(req, res)) return;
    const target = route(req.url ?? '');
    if (target.kind === 'proxy') {
      if (admit(req, target)) proxy(req, res);
      else sendText(res, 403, FORBIDDEN);
    } else if (target.kind === 'static') {
      void serveStatic(req, res, options.www, target.path, target.trailingSlash);
    } else if (target.kind === 'redirect') {
      res.writeHead(301, { Location: target.location }).end();
    } else {
      sendText(res, target.status, target.body);
    }
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    logs.access?.tunnel(req, socket);
    const answered = (status: number): void => logs.access?.answered(req, status);
    const target = route(req.url ?? '');
    if (target.kind !== 'proxy') answered(answerRouteOnSocket(socket, target));
    else if (!admit(req, target)) answered(answerOnSocket(socket, 403, PLAIN_TEXT, FORBIDDEN));
    else proxy.upgrade(req, socket, head);
  });

  // A head Node cannot read gets Go's answer, not the handlers or the log.
  server.on('clientError', answerUnreadableHead);

  return {
    server,
    proxy,
    async close(graceMs = 3000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await proxy.close();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      backend.agent.destroy();
    },
  };
}
