import { ProxyError } from '../../../lib/errors/proxy-error.js';
import { upgradeRequired } from '../../../lib/http/stages/upgrade-required.js';
import { exchangeFor, head, useRequestSource } from '../../helpers/exchange.js';

const sourceOf = useRequestSource();

const GET = head('GET /x HTTP/1.1', 'Host: client.example');

describe('upgradeRequired', () => {
  it('throws a 400 ProxyError when an upgrade is required', async () => {
    const ex = await exchangeFor(sourceOf(), GET, {
      location: 'http://127.0.0.1:8080',
      upgradeRequired: true,
    });
    let thrown: unknown;
    try {
      upgradeRequired(ex);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProxyError);
    expect(thrown).toMatchObject({
      code: 'ERR_PROXY_UPGRADE_REQUIRED',
      status: 400,
      message: 'Upgrade request required',
    });
    expect(ex.res.headersSent).toBe(false);
  });

  it('lets the request through when no upgrade is required', async () => {
    const ex = await exchangeFor(sourceOf(), GET, { location: 'http://127.0.0.1:8080' });
    expect(upgradeRequired(ex)).toBe(false);
    expect(ex.res.headersSent).toBe(false);
  });
});
