import { ProxyError } from '../../lib/errors/proxy-error.js';
import { backendError, clientLeft } from '../../lib/transport/backend-error.js';

/** An error as Node's or undici's client makes it: a message, a code, maybe a cause. */
function failure(message: string, code: string, cause?: Error): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

describe('backendError', () => {
  it('keeps a ProxyError as it is', () => {
    const err = new ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'timeout awaiting response headers');
    expect(backendError(err)).toBe(err);
  });

  it.each([
    [
      "Node's connection refused",
      failure('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'),
      'ERR_PROXY_BACKEND_UNREACHABLE',
      502,
      'connect ECONNREFUSED 127.0.0.1:1',
    ],
    [
      "Node's socket hang up",
      failure('socket hang up', 'ECONNRESET'),
      'ERR_PROXY_BACKEND_UNREACHABLE',
      502,
      'socket hang up',
    ],
    [
      'an operating-system timeout',
      failure('connect ETIMEDOUT 10.0.0.1:80', 'ETIMEDOUT'),
      'ERR_PROXY_BACKEND_TIMEOUT',
      504,
      'connect ETIMEDOUT 10.0.0.1:80',
    ],
    [
      "undici's connect timeout",
      failure('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT'),
      'ERR_PROXY_BACKEND_TIMEOUT',
      504,
      'Connect Timeout Error',
    ],
    [
      "undici's head timeout",
      failure('Headers Timeout Error', 'UND_ERR_HEADERS_TIMEOUT'),
      'ERR_PROXY_BACKEND_TIMEOUT',
      504,
      'timeout awaiting response headers',
    ],
    [
      "Node's head overflow",
      failure('Header overflow', 'HPE_HEADER_OVERFLOW'),
      'ERR_PROXY_BAD_RESPONSE',
      502,
      'backend response headers exceeded the size limit',
    ],
    [
      "undici's head overflow",
      failure('Headers Overflow Error', 'UND_ERR_HEADERS_OVERFLOW'),
      'ERR_PROXY_BAD_RESPONSE',
      502,
      'backend response headers exceeded the size limit',
    ],
    [
      "undici's 101 to a plain request",
      failure('bad upgrade', 'UND_ERR_SOCKET'),
      'ERR_PROXY_BAD_RESPONSE',
      502,
      'backend tried to switch protocols on a request that asked for no upgrade',
    ],
    [
      'undici wrapping a socket error',
      failure('other side closed', 'UND_ERR_SOCKET', new Error('read ECONNRESET')),
      'ERR_PROXY_BACKEND_UNREACHABLE',
      502,
      'read ECONNRESET',
    ],
    [
      'a Node error with a cause of its own',
      failure('socket hang up', 'ECONNRESET', new Error('inner')),
      'ERR_PROXY_BACKEND_UNREACHABLE',
      502,
      'socket hang up',
    ],
    ['a value that is no Error', 'refused', 'ERR_PROXY_BACKEND_UNREACHABLE', 502, 'refused'],
    ['null', null, 'ERR_PROXY_BACKEND_UNREACHABLE', 502, 'null'],
  ])('maps %s to %s (%d)', (_what, err, code, status, message) => {
    const mapped = backendError(err);
    expect(mapped).toBeInstanceOf(ProxyError);
    expect([mapped.code, mapped.status, mapped.message]).toEqual([code, status, message]);
  });

  it('keeps the client error as the cause', () => {
    const err = failure('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED');
    expect(backendError(err).cause).toBe(err);
  });
});

describe('clientLeft', () => {
  it('is ERR_PROXY_BACKEND_ABORTED with the text of the upgrade path', () => {
    const err = clientLeft();
    expect([err.code, err.status, err.message]).toEqual([
      'ERR_PROXY_BACKEND_ABORTED',
      502,
      'the client closed the connection',
    ]);
  });
});
