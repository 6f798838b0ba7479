import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Location } from '../util/location.js';
import type { NodeAgent } from '../types.js';

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

function ready(socket: Duplex, event: 'connect' | 'secureConnect'): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return reject(new Error('connection closed while dialing'));
    const done = (err?: Error): void => {
      socket.removeListener(event, onReady);
      socket.removeListener('error', done);
      socket.removeListener('close', onClose);
      if (err) reject(err);
      else resolve(socket);
    };
    const onReady = (): void => done();
    const onClose = (): void => done(new Error('connection closed while dialing'));
    socket.once(event, onReady);
    socket.once('error', done);
    socket.once('close', onClose);
  });
}

function connecting(socket: Duplex): boolean {
  return (socket as Socket).connecting === true;
}

/**
 * True until the TLS handshake, certificate check included, is done. `getProtocol()` cannot tell:
 * it names the highest version on offer before a byte has been exchanged. The Finished message
 * exists only once the handshake is complete, and Node checks the certificate in that same step.
 */
function handshaking(socket: Duplex): boolean {
  return socket instanceof tls.TLSSocket && socket.getFinished() === undefined;
}

/**
 * Opens the connection an upgrade is written on (Kubernetes' `DialURL` in apimachinery dial.go;
 * docs/upgrades.md, "TLS backends"): through the agent's own `createConnection` (so a custom
 * dialer is honoured) with the agent's TLS settings, never through its pool. A custom dialer that
 * hands back a plain socket for an https location gets TLS on top, with verification on unless
 * the agent turns it off (docs/differences.md, P7).
 */
export async function dial(agent: NodeAgent, location: Location): Promise<Duplex> {
  const https = location.protocol === 'https:';
  const options = https
    ? tlsOptions(agent, location)
    : { ...agentOptions(agent), host: location.hostname, port: location.port };
  const create = (agent as unknown as { createConnection: Dialer }).createConnection.bind(agent);
  let socket = await new Promise<Duplex>((resolve, reject) => {
    const returned = create(options, (err, made) =>
      err ? reject(err) : made ? resolve(made) : undefined,
    );
    if (returned) resolve(returned);
  });
  socket.on('error', noop); // errors are read through the promises below and by the caller
  if (connecting(socket)) socket = await ready(socket, 'connect');
  if (https && !(socket instanceof tls.TLSSocket))
    socket = tls.connect({ ...(options as tls.ConnectionOptions), socket });
  if (handshaking(socket))
    socket = await ready(socket, 'secureConnect').catch((err: Error) => {
      socket.destroy();
      throw err;
    });
  return socket;
}

function noop(): void {}
