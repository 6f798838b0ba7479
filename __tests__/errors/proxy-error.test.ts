import { ProxyError, messageOf } from '../../lib/errors/proxy-error.js';
import type { ProxyErrorCode } from '../../lib/errors/proxy-error.js';

describe('ProxyError', () => {
  it.each<[ProxyErrorCode, number]>([
    ['ERR_PROXY_UPGRADE_REQUIRED', 400],
    ['ERR_PROXY_BODY_CONSUMED', 500],
    ['ERR_PROXY_BACKEND_UNREACHABLE', 502],
    ['ERR_PROXY_BACKEND_TIMEOUT', 504],
    ['ERR_PROXY_BACKEND_ABORTED', 502],
    ['ERR_PROXY_DIAL', 502],
    ['ERR_PROXY_SEND', 502],
    ['ERR_PROXY_UPGRADE_RESPONSE', 502],
    ['ERR_PROXY_INVALID_UPGRADE_RESPONSE', 502],
    ['ERR_PROXY_WRAP_REQUEST', 502],
    ['ERR_PROXY_BAD_LOCATION', 500],
    ['ERR_PROXY_BAD_REQUEST', 400],
    ['ERR_PROXY_BAD_RESPONSE', 502],
    ['ERR_PROXY_RESOLVE_LOCATION', 500],
    ['ERR_PROXY_STAGE', 500],
    ['ERR_PROXY_BODY_TOO_LARGE', 502],
  ])('gives %s the status %i', (code, status) => {
    const err = new ProxyError(code, 'text');
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
  });

  it('is an Error named ProxyError with the message given', () => {
    const err = new ProxyError('ERR_PROXY_UPGRADE_REQUIRED', 'Upgrade request required');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ProxyError');
    expect(err.message).toBe('Upgrade request required');
    expect(String(err)).toBe('ProxyError: Upgrade request required');
  });

  it("takes a status that overrides the code's usual one", () => {
    expect(new ProxyError('ERR_PROXY_BACKEND_UNREACHABLE', 'x', { status: 503 }).status).toBe(503);
  });

  it('keeps the cause, and has none when none is given', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:1');
    expect(new ProxyError('ERR_PROXY_DIAL', 'error dialing backend', { cause }).cause).toBe(cause);
    expect('cause' in new ProxyError('ERR_PROXY_DIAL', 'error dialing backend')).toBe(false);
  });
});

describe('messageOf', () => {
  it.each([
    [new Error('boom'), 'boom'],
    [
      new ProxyError('ERR_PROXY_SEND', 'error sending request: EXPECTED'),
      'error sending request: EXPECTED',
    ],
    ['plain text', 'plain text'],
    [42, '42'],
    [undefined, 'undefined'],
    [null, 'null'],
  ])('gives the message of %p without a stack', (thrown, message) => {
    expect(messageOf(thrown)).toBe(message);
  });
});
