import type { Duplex } from 'node:stream';
import { ProxyError } from '../errors/proxy-error.js';
import { endOnClose, type Observation } from '../hooks/channels.js';
import type { ResolvedOptions } from '../options.js';
import { relayErrorResponse } from './error-response.js';
import type { UpgradeHooks, UpgradeSource } from './proxy-upgrade.js';
import type { ResponseHead } from './response-head.js';
import { tunnel } from './tunnel.js';

/** Acts on the backend's status (docs/upgrades.md, "What the client sees"); throws what the responder is to get. */
export function actOnStatus(
  options: ResolvedOptions,
  src: UpgradeSource,
  backend: Duplex,
  response: ResponseHead,
  early: Buffer[],
  hooks: UpgradeHooks,
  seen: Observation | undefined,
): void {
  if (response.status === 101) {
    if (!src.raw) {
      throw new ProxyError(
        'ERR_PROXY_INVALID_UPGRADE_RESPONSE',
        'invalid upgrade response: status code 101: the request reached the proxy as a plain request ' +
          "(no Upgrade header, or no server 'upgrade' listener), so its connection cannot be switched",
      );
    }
    src.socket.write(response.raw);
    // Before the tunnel resumes the client, so that they reach the backend first and in order.
    for (const chunk of early) backend.write(chunk);
    tunnel(src.socket, backend, options.maxBytesPerSec, (stats) => {
      hooks.closed();
      const held = early.reduce((sum, chunk) => sum + chunk.length, 0);
      seen?.tunnelClose(
        held + stats.bytesIn,
        stats.bytesOut,
        hooks.closingAll ? 'proxy' : stats.closedBy,
      );
    });
    hooks.opened();
    seen?.tunnelOpen();
  } else if (response.status < 400) {
    throw new ProxyError(
      'ERR_PROXY_INVALID_UPGRADE_RESPONSE',
      `invalid upgrade response: status code ${response.status}`,
    );
  } else {
    if (seen) endOnSocketClose(seen, src, () => response.status);
    relayErrorResponse(src.socket, backend, response, src.req.method ?? 'GET');
  }
}

/** Publishes `request:end` for an upgrade that was answered instead of switched, once its connection closes. */
export function endOnSocketClose(
  seen: Observation,
  src: UpgradeSource,
  status: () => number,
): void {
  if (src.raw) src.socket.once('close', () => seen.end(status(), false));
  else endOnClose(seen, src.response());
}
