/**
 * How the middleware's own clients connect: directly or through the environment's forward proxy
 * (a CONNECT tunnel, TLS on top for an https backend), within `connectTimeout` (docs/options.md,
 * "proxyFromEnvironment" and "connectTimeout"). A client the user gives connects as it is made to.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type * as undici from 'undici';
import { ConnectDeadline, hostPort } from '../util/connect-deadline.js';
import { openTunnel, ready } from '../util/connect-tunnel.js';
import type { ProxyFor } from '../util/env-proxy.js';
import { httpsModule, tlsModule } from '../util/tls-modules.js';

/** What our own clients dial with, fixed when the middleware is made. */
export interface DialPolicy {
  readonly proxyFor: ProxyFor;
  /** ms; 0 for no limit of ours. */
  readonly connectTimeout: number;
}

type Connector = undici.buildConnector.connector;
type ConnectorOptions = undici.buildConnector.Options;
type NodeCallback = (err: Error | null, socket?: Duplex) => void;
type CreateConnection = (
  this: http.Agent,
  options: tls.ConnectionOptions,
  callback: NodeCallback,
) => Duplex;

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/** A connection made by undici's connector, tracked from the moment it exists. */
function viaConnector(
  connect: Connector,
  options: ConnectorOptions,
  deadline: ConnectDeadline,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = (
      connect as (o: ConnectorOptions, cb: undici.buildConnector.Callback) => unknown
    )(options, (err, made) => (err ? reject(err) : resolve(made!)));
    if (socket) deadline.track(socket as Duplex);
  });
}

async function undiciOpen(
  direct: Connector,
  options: ConnectorOptions,
  policy: DialPolicy,
  deadline: ConnectDeadline,
): Promise<Duplex> {
  const port = Number(options.port) || defaultPort(options.protocol);
  const proxy = policy.proxyFor({ protocol: options.protocol, hostname: options.hostname, port });
  if (!proxy) return viaConnector(direct, options, deadline);
  const tunnel = await openTunnel(proxy, options.hostname, port, (s) => deadline.track(s));
  if (options.protocol !== 'https:') return tunnel;
  return viaConnector(direct, { ...options, httpSocket: tunnel as Socket }, deadline);
}

/**
 * The `connect` function of our own undici Agent: undici's connector (its TLS defaults and session
 * cache) without its own 10 s timer, our {@link ConnectDeadline} instead, so that a timeout reads
 * the same on every path; through the proxy when the environment names one for the origin.
 */
export function undiciConnector(
  buildConnector: typeof undici.buildConnector,
  policy: DialPolicy,
): Connector {
  const direct = buildConnector({ timeout: 0 });
  return (options, callback) => {
    const port = Number(options.port) || defaultPort(options.protocol);
    const deadline = new ConnectDeadline(policy.connectTimeout, hostPort(options.hostname, port));
    deadline.run(undiciOpen(direct, options, policy, deadline)).then(
      (socket) => callback(null, socket as Socket),
      (err: Error) => callback(err, null),
    );
  };
}

/** A tunnel through `proxy`, with TLS on top for an https agent, ready before it is handed over. */
async function tunnelled(
  proxy: URL,
  options: tls.ConnectionOptions,
  secure: boolean,
  deadline: ConnectDeadline,
): Promise<Duplex> {
  const hostname = String(options.host);
  const tunnel = await openTunnel(proxy, hostname, Number(options.port), (s) => deadline.track(s));
  if (!secure) return tunnel;
  const socket = deadline.track(tlsModule().connect({ ...options, socket: tunnel }));
  socket.on('error', noop); // read by ready(); Node's client adds its own once it has the socket
  await ready(socket, 'secureConnect').catch((err: Error) => {
    socket.destroy();
    throw err;
  });
  return socket;
}

function noop(): void {}

/**
 * Our keep-alive agent for one scheme whose connections go through the environment's proxy where
 * it applies (a direct connection is the agent's own, timed in node.ts). Used by Node's client for
 * what undici cannot send, and as the agent whose TLS settings upgrades use.
 */
export function proxiedAgent(secure: boolean, policy: DialPolicy): http.Agent {
  const Base = secure ? httpsModule().Agent : http.Agent;
  const direct = (Base.prototype as unknown as { createConnection: CreateConnection })
    .createConnection;
  const Proxied = class extends Base {
    override createConnection(options: tls.ConnectionOptions, callback: NodeCallback): Duplex {
      const port = Number(options.port) || (secure ? 443 : 80);
      let proxy: URL | undefined;
      try {
        proxy = policy.proxyFor({
          protocol: secure ? 'https:' : 'http:',
          hostname: String(options.host),
          port,
        });
      } catch (err) {
        process.nextTick(callback, err);
        return undefined as unknown as Duplex;
      }
      if (!proxy) return direct.call(this, options, callback);
      const deadline = new ConnectDeadline(
        policy.connectTimeout,
        hostPort(String(options.host), port),
      );
      deadline.run(tunnelled(proxy, { ...options, port }, secure, deadline)).then(
        (socket) => callback(null, socket),
        (err: Error) => callback(err),
      );
      return undefined as unknown as Duplex;
    }
  };
  return new Proxied({ keepAlive: true });
}
