import { isIP, type Socket } from 'node:net';
import type tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Location } from '../util/location.js';
import type { NodeAgent } from '../types/clients.js';
import { ConnectDeadline, handshaking, hostPort } from '../util/connect-deadline.js';
import { openTunnel, ready } from '../util/connect-tunnel.js';
import { proxyForOptions } from '../util/env-proxy.js';
import { isTlsSocket, tlsModule } from '../util/tls-modules.js';

type Dialer = (
  options: object,
  callback?: (err: Error | null, socket?: Duplex) => void,
) => Duplex | undefined | null;

/** The agent's TLS and socket settings, to be read and copied into new options: the agent itself is never changed. */
function agentOptions(agent: NodeAgent): Readonly<Record<string, unknown>> {
  return (agent as unknown as { options?: Record<string, unknown> }).options ?? {};
}

/**
 * ALPN for the upgrade leg (apimachinery dial.go, `DialURL`, commit 240456f6; docs/upgrades.md,
 * "TLS backends"): `http/1.1` whenever the agent allows it, since an upgrade cannot travel over h2;
 * an agent that offers only other protocols keeps its list.
 */
export function upgradeAlpn(offered: unknown): string[] | undefined {
  if (!Array.isArray(offered) || offered.length === 0 || offered.includes('http/1.1'))
    return ['http/1.1'];
  return undefined;
}

/** The TLS options of the upgrade leg: the agent's, SNI from the host when unset, ALPN per {@link upgradeAlpn}. */
export function tlsOptions(agent: NodeAgent, location: Location): tls.ConnectionOptions {
  const options = agentOptions(agent) as tls.ConnectionOptions;
  const alpn = upgradeAlpn(options.ALPNProtocols);
  return {
    ...options,
    host: location.hostname,
    port: location.port,
    servername:
      options.servername ?? (isIP(location.hostname) === 0 ? location.hostname : undefined),
    ...(alpn ? { ALPNProtocols: alpn } : {}),
  };
}

function connecting(socket: Duplex): boolean {
  return (socket as Socket).connecting === true;
}

/** What an upgrade's connection is opened with, besides the agent (docs/options.md). */
export interface DialOptions {
  /** ms for TCP and TLS together; 0 for no limit. */
  readonly connectTimeout: number;
  readonly proxyFromEnvironment: boolean;
  /** `upgradeTransport.dial`. */
  readonly dial: ((location: URL) => Duplex | Promise<Duplex>) | undefined;
}

const DIRECT: DialOptions = { connectTimeout: 0, proxyFromEnvironment: false, dial: undefined };

/** The agent's `createConnection`, with a callback or a return value, its socket tracked at once. */
function viaAgent(agent: NodeAgent, options: object, deadline: ConnectDeadline): Promise<Duplex> {
  const create = (agent as unknown as { createConnection: Dialer }).createConnection.bind(agent);
  return new Promise<Duplex>((resolve, reject) => {
    const returned = create(options, (err, made) =>
      err ? reject(err) : made ? resolve(deadline.track(made)) : undefined,
    );
    if (returned) resolve(deadline.track(returned));
  });
}

/** The user's `dial`, which must hand back a stream. */
async function viaUser(
  dialer: NonNullable<DialOptions['dial']>,
  location: Location,
): Promise<Duplex> {
  const socket = await dialer(new URL(location.href));
  if (typeof (socket as Partial<Duplex> | null)?.write !== 'function')
    throw new TypeError('upgradeTransport.dial did not return a stream');
  return socket;
}

/**
 * The connection before any TLS: `upgradeTransport.dial` when given; else a CONNECT tunnel when
 * the environment's proxy applies to the location (whatever the agent; docs/options.md,
 * "proxyFromEnvironment"); else the agent's `createConnection`.
 */
function firstSocket(
  agent: NodeAgent,
  location: Location,
  options: DialOptions,
  settings: object,
  deadline: ConnectDeadline,
): Promise<Duplex> {
  if (options.dial) return viaUser(options.dial, location);
  const proxy = proxyForOptions(options)(location);
  if (proxy) return openTunnel(proxy, location.hostname, location.port, (s) => deadline.track(s));
  return viaAgent(agent, settings, deadline);
}

async function open(
  agent: NodeAgent,
  location: Location,
  options: DialOptions,
  deadline: ConnectDeadline,
): Promise<Duplex> {
  const https = location.protocol === 'https:';
  const settings = https
    ? tlsOptions(agent, location)
    : { ...agentOptions(agent), host: location.hostname, port: location.port };
  let socket = deadline.track(await firstSocket(agent, location, options, settings, deadline));
  socket.on('error', noop); // errors are read through the promises below and by the caller
  if (connecting(socket)) await ready(socket, 'connect');
  if (https && !isTlsSocket(socket))
    socket = deadline.track(
      tlsModule().connect({ ...(settings as tls.ConnectionOptions), socket }),
    );
  if (handshaking(socket)) {
    socket.on('error', noop);
    await ready(socket, 'secureConnect').catch((err: Error) => {
      socket.destroy();
      throw err;
    });
  }
  return socket;
}

/**
 * Opens the connection an upgrade is written on (Kubernetes' `DialURL` in apimachinery dial.go;
 * docs/upgrades.md, "TLS backends"): through `upgradeTransport.dial`, the environment's proxy, or
 * the agent's own `createConnection` (so a custom dialer is honoured), with the agent's TLS
 * settings, never through its pool, all within `connectTimeout`. A plain socket for an https
 * location gets TLS on top, with verification on unless the agent turns it off
 * (docs/differences.md, P7).
 */
export function dial(
  agent: NodeAgent,
  location: Location,
  options: DialOptions = DIRECT,
): Promise<Duplex> {
  const deadline = new ConnectDeadline(
    options.connectTimeout,
    hostPort(location.hostname, location.port),
  );
  return deadline.run(open(agent, location, options, deadline));
}

function noop(): void {}
