import { ProxyError } from '../../lib/errors.js';
import { upgradeRequired } from '../../lib/stages/upgrade-required.js';
import { RequestSource, exchangeFor, head, releaseOptions } from '../helpers/exchange.js';

let source: RequestSource;
beforeAll(async () => {
  source = await RequestSource.start();
});
afterAll(async () => {
  releaseOptions();
  await source.close();
});

const GET = head('GET /x HTTP/1.1', 'Host: client.example');

describe('upgradeRequired', () => {
  it('throws a 400 ProxyError when an upgrade is required', async () => {
    const ex = await exchangeFor(source, GET, { location: 'http://127.0.0.1:8080', upgradeRequired: true });
    let thrown: unknown;
    try {
      upgradeRequired(ex);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProxyError);
    expect(thrown).toMatchObject({ code: 'ERR_PROXY_UPGRADE_REQUIRED', status: 400, message: 'Upgrade request required' });
    expect(ex.res.headersSent).toBe(false);
  });

  it('lets the request through when no upgrade is required', async () => {
    const ex = await exchangeFor(source, GET, { location: 'http://127.0.0.1:8080' });
    expect(upgradeRequired(ex)).toBe(false);
    expect(ex.res.headersSent).toBe(false);
  });
});
