import type * as undici from 'undici';

/** What the proxy's own dispatcher needs of undici. */
export type UndiciParts = Pick<typeof undici, 'Agent' | 'buildConnector'>;

/**
 * undici's Agent and connector from their own modules, not from undici's entry point, which loads
 * fetch, WebSocket, the caches and the mocks too. That heap, grown at start, costs back-to-back
 * full collections on large bodies (docs/benchmarks.md, "Transport kinds"). Both are the very
 * objects the entry point exports (a test checks it); should a later undici move them, the entry
 * point is loaded instead, and only the heap grows.
 */
export function loadUndici(): UndiciParts {
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
