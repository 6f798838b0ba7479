import { host } from '../../../lib/http/stages/host.js';
import { exchangeFor, head, useRequestSource } from '../../helpers/exchange.js';

const sourceOf = useRequestSource();

const location = 'http://127.0.0.1:8080/base';

describe('host', () => {
  it("keeps the client's Host", async () => {
    const ex = await exchangeFor(sourceOf(), head('GET / HTTP/1.1', 'Host: Client.Example:3000'), {
      location,
    });
    expect(host(ex)).toBe(false);
    expect(ex.host).toBe('Client.Example:3000');
  });

  it("sends the location's host with useLocationHost", async () => {
    const ex = await exchangeFor(sourceOf(), head('GET / HTTP/1.1', 'Host: client.example'), {
      location,
      useLocationHost: true,
    });
    host(ex);
    expect(ex.host).toBe('127.0.0.1:8080');
  });

  it("sends the location's host as written, port included only when written", async () => {
    const ex = await exchangeFor(sourceOf(), head('GET / HTTP/1.1', 'Host: client.example'), {
      location: 'http://[::1]/',
      useLocationHost: true,
    });
    host(ex);
    expect(ex.host).toBe('[::1]');
  });

  it("sends the location's host when the client sent no Host (HTTP/1.0)", async () => {
    const ex = await exchangeFor(sourceOf(), head('GET / HTTP/1.0'), { location });
    host(ex);
    expect(ex.host).toBe('127.0.0.1:8080');
  });

  it("sends the location's host when the client's Host is empty", async () => {
    const ex = await exchangeFor(sourceOf(), head('GET / HTTP/1.1', 'Host:'), { location });
    host(ex);
    expect(ex.host).toBe('127.0.0.1:8080');
  });

  it('refuses a request with two Host lines with ERR_PROXY_BAD_REQUEST (400), whatever their case', async () => {
    const ex = await exchangeFor(
      sourceOf(),
      head('GET / HTTP/1.1', 'Host: client.example', 'host: evil.example'),
      { location },
    );
    expect(() => host(ex)).toThrow(
      expect.objectContaining({
        code: 'ERR_PROXY_BAD_REQUEST',
        status: 400,
        message: 'too many Host headers',
      }),
    );
    expect(ex.host).toBe('');
  });

  it('refuses two Host lines with useLocationHost too', async () => {
    const ex = await exchangeFor(sourceOf(), head('GET / HTTP/1.1', 'Host: a', 'Host: a'), {
      location,
      useLocationHost: true,
    });
    expect(() => host(ex)).toThrow(expect.objectContaining({ code: 'ERR_PROXY_BAD_REQUEST' }));
  });
});
