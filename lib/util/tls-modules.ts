/**
 * `node:https` and `node:tls` on first use. With `node:crypto` under them they hold about 0.4 MB
 * of heap (measured at start), which a proxy to an `http://` backend never needs; and a smaller heap keeps a
 * process out of V8's back-to-back marking on large bodies (docs/benchmarks.md, "Transport kinds").
 * The checks below load them only for a value that could be one of theirs.
 */
import http from 'node:http';
import type * as Https from 'node:https';
import type { Duplex } from 'node:stream';
import type * as Tls from 'node:tls';

let https: typeof Https | undefined;
let tls: typeof Tls | undefined;

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
export function httpsModule(): typeof Https {
  return (https ??= require('node:https') as typeof Https);
}

export function tlsModule(): typeof Tls {
  return (tls ??= require('node:tls') as typeof Tls);
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** An `https.Agent`: an `http.Agent` says `http:` as its protocol, an `https.Agent` `https:`. */
export function isHttpsAgent(value: unknown): value is Https.Agent {
  return (
    value instanceof http.Agent &&
    (value as { protocol?: unknown }).protocol === 'https:' &&
    value instanceof httpsModule().Agent
  );
}

/** A `tls.TLSSocket`, which alone among Node's sockets says `encrypted`. */
export function isTlsSocket(socket: Duplex | undefined): socket is Tls.TLSSocket {
  return (
    (socket as { encrypted?: unknown } | undefined)?.encrypted === true &&
    socket instanceof tlsModule().TLSSocket
  );
}
