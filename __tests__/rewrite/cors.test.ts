import { removeCors } from '../../lib/rewrite/cors.js';
import { backendWith } from '../helpers/exchange.js';

describe('removeCors', () => {
  it('removes the four Access-Control-Allow-* headers, every value of each', () => {
    const response = backendWith({
      'access-control-allow-origin': ['some.server', 'other.server'],
      'access-control-allow-methods': ['GET'],
      'access-control-allow-headers': ['X-A', 'X-B'],
      'access-control-allow-credentials': ['true'],
      header1: ['value1'],
    });
    removeCors(response);
    expect(Object.fromEntries(response.headers)).toEqual({ header1: ['value1'] });
  });

  it('keeps the other CORS headers: -Expose-Headers, -Max-Age, Vary, and request-side names', () => {
    const kept = {
      'access-control-expose-headers': ['Header1'],
      'access-control-max-age': ['600'],
      'access-control-allow-private-network': ['true'],
      'access-control-request-method': ['GET'],
      vary: ['Origin'],
    };
    const response = backendWith({ ...kept, 'access-control-allow-origin': ['*'] });
    removeCors(response);
    expect(Object.fromEntries(response.headers)).toEqual(kept);
  });

  it('leaves a response without CORS headers as it is', () => {
    const response = backendWith({ 'content-type': ['text/html'] });
    const before = response.headers;
    removeCors(response);
    expect(response.headers).toBe(before);
    expect(Object.fromEntries(response.headers)).toEqual({ 'content-type': ['text/html'] });
  });
});
