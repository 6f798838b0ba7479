import Module from 'node:module';
import type * as undici from 'undici';

/** What the proxy's own dispatcher needs of undici. */
export type UndiciParts = Pick<typeof undici, 'Agent' | 'buildConnector'>;

type ConnectH2 = (this: unknown, ...args: unknown[]) => unknown;

/**
 * undici's HTTP/1.1 client module requires its HTTP/2 one as it loads, and that one loads
 * `node:http2`, whether or not a connection ever negotiates HTTP/2 (this package's own Agent never
 * asks for it: no `allowH2`). That is about a third of a mebibyte of heap kept for nothing, and
 * the heap's size is what sets V8 marking on large bodies (docs/benchmarks.md, "Transport kinds").
 * So, when neither module is loaded yet, a stand-in takes the HTTP/2 module's place in `require`'s
 * cache: the function undici calls for a connection that negotiated HTTP/2, which loads the real
 * module on that first call, puts it back in the cache and hands over to it. An application that
 * asks undici for HTTP/2 gets it, the module loaded with its first such connection.
 */
function deferHttp2(): void {
  let client: string;
  let h2: string;
  try {
    client = require.resolve('undici/lib/dispatcher/client.js');
    h2 = require.resolve('undici/lib/dispatcher/client-h2.js');
  } catch {
    return; // another layout of undici: it loads as it is
  }
  const cache = require.cache;
  if (cache[client] !== undefined || cache[h2] !== undefined) return;
  let real: ConnectH2 | undefined;
  const standIn = new Module(h2, module);
  standIn.filename = h2;
  standIn.loaded = true;
  standIn.exports = function connectH2(this: unknown, ...args: unknown[]): unknown {
    if (real === undefined) {
      if (cache[h2] === standIn) delete cache[h2];
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
      real = require(h2) as ConnectH2;
    }
    return real.apply(this, args);
  };
  cache[h2] = standIn;
}

/**
 * undici's Agent and connector from their own modules, not from undici's entry point, which loads
 * fetch, WebSocket, the caches and the mocks too. That heap, grown at start, costs back-to-back
 * full collections on large bodies (docs/benchmarks.md, "Transport kinds"). Both are the very
 * objects the entry point exports (a test checks it); should a later undici move them, the entry
 * point is loaded instead, and only the heap grows. Its HTTP/2 module waits for a first HTTP/2
 * connection ({@link deferHttp2}).
 */
export function loadUndici(): UndiciParts {
  deferHttp2();
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
  try {
    return {
      Agent: require('undici/lib/dispatcher/agent.js') as UndiciParts['Agent'],
      buildConnector: require('undici/lib/core/connect.js') as UndiciParts['buildConnector'],
    };
  } catch {
    return require('undici') as typeof undici;
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}
