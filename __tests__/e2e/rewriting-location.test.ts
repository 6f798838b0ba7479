// Location header rewriting through the middleware (docs/rewriting.md, "The rewriting rules"; docs/differences.md, P13), under an Express
// mount: `app.use('/proxy', proxy)` with useRequestLocation, origin-form requests (so the proxy
// knows no scheme or host of its own and rewritten Locations are path-only).
import http from 'node:http';
import { upgradeAware } from '../../lib/index.js';
import type { ProxyError, UpgradeAwareOptions } from '../../lib/index.js';
import { request, startExpress, startUpstream } from '../helpers/servers.js';
import type { Running } from '../helpers/servers.js';

const BAD_LOCATION = 'Internal error occurred: error trying to parse Location header: ';

let backend: Running;
let backendHost: string;
/** The Location (and status) the backend answers `GET /redirect?to=...` with. */
beforeAll(async () => {
  backend = await startUpstream((req, res) => {
    const url = new URL(req.url ?? '/', 'http://unused');
    const location = url.searchParams.get('to') ?? '';
    res.writeHead(Number(url.searchParams.get('status') ?? 302), {
      Location: location,
      'Content-Type': 'text/html',
    });
    res.end('<a href="/body-link">moved</a>');
  });
  backendHost = `127.0.0.1:${backend.port}`;
});
afterAll(async () => {
  await backend.close();
});

const opened: Running[] = [];
afterEach(async () => {
  for (const running of opened.splice(0)) await running.close();
});

async function mounted(options: Partial<UpgradeAwareOptions> = {}): Promise<Running> {
  const app = await startExpress([
    ['/proxy', upgradeAware({ location: `${backend.url}/`, useRequestLocation: true, ...options })],
  ]);
  opened.push(app);
  return app;
}

/** Asks the mounted proxy for a redirect to `to`. */
async function redirectTo(app: Running, to: string, status = 302) {
  return request(`${app.url}/proxy/redirect?status=${status}&to=${encodeURIComponent(to)}`);
}

describe("upgradeAware Location rewriting under app.use('/proxy', proxy)", () => {
  it.each([
    ['a path-only Location', '/next', '/proxy/next'],
    [
      'a path-only Location with query and fragment',
      '/next/?x=1&y=%2F#top',
      '/proxy/next/?x=1&y=%2F#top',
    ],
    ['a path-only Location with dot segments', '/a/../b/./c', '/proxy/b/c'],
    ["a Location on the backend's host", 'http://BACKEND/next', '/proxy/next'],
    ["a Location on the backend's host, other scheme", 'https://BACKEND/next', '/proxy/next'],
  ])('gives %s the mount prefix', async (_name, location, expected) => {
    const app = await mounted();
    const { status, headers } = await redirectTo(app, location.replace('BACKEND', backendHost));
    expect(status).toBe(302);
    expect(headers.location).toBe(expected);
  });

  it('keeps the host of a Location on the Host the client asked for, and gives it the prefix', async () => {
    const app = await mounted();
    const host = `127.0.0.1:${app.port}`;
    const { headers } = await redirectTo(app, `http://${host}/next`);
    expect(headers.location).toBe(`http://${host}/proxy/next`);
  });

  it.each([
    ['another host', 'http://example.com/next'],
    ["the backend's address on another port", 'http://127.0.0.1:1/next'],
    ['a relative reference', 'next/page'],
    ['a fragment', '#top'],
    ['a mailto: URL', 'mailto:admin@example.com'],
    ['a host without path', 'http://BACKEND'],
    ['a path already under the prefix', '/proxy/next'],
  ])('leaves %s as it is', async (_name, location) => {
    const app = await mounted();
    const value = location.replace('BACKEND', backendHost);
    const { headers } = await redirectTo(app, value);
    expect(headers.location).toBe(value);
  });

  it.each([
    ['a path-only Location', '/a b/<c>(d)', '/proxy/a%20b/%3Cc%3E%28d%29'],
    ['another host', 'http://example.com/a b/<c>', 'http://example.com/a%20b/%3Cc%3E'],
  ])("escapes %s by Go's rules", async (_name, location, expected) => {
    const app = await mounted();
    const { headers } = await redirectTo(app, location);
    expect(headers.location).toBe(expected);
  });

  it('rewrites the Location of any status, and then leaves the HTML body alone', async () => {
    const app = await mounted();
    const { status, headers, body } = await redirectTo(app, '/created/1', 201);
    expect(status).toBe(201);
    expect(headers.location).toBe('/proxy/created/1');
    expect(body.toString()).toBe('<a href="/body-link">moved</a>');
  });

  it('leaves the Location alone when the rewriting transport is off', async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      const app = await mounted({ transport: agent });
      const { headers } = await redirectTo(app, '/next');
      expect(headers.location).toBe('/next');
    } finally {
      agent.destroy();
    }
  });
});

describe('upgradeAware with an unparsable Location', () => {
  it.each([
    ['http://[::1', `${BAD_LOCATION}parse "http://[::1": missing ']' in host`],
    ['%zz', `${BAD_LOCATION}parse "%zz": invalid URL escape "%zz"`],
    [':no-scheme', `${BAD_LOCATION}parse ":no-scheme": missing protocol scheme`],
  ])(
    'hands %s to the responder as ERR_PROXY_BAD_LOCATION, status 500',
    async (location, message) => {
      const errors: ProxyError[] = [];
      const app = await mounted({
        responder(err, _req, res) {
          errors.push(err as ProxyError);
          res.statusCode = 567;
          res.end(err.message);
        },
      });
      const { status, body } = await redirectTo(app, location);
      expect(status).toBe(567);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.code).toBe('ERR_PROXY_BAD_LOCATION');
      expect(errors[0]!.status).toBe(500);
      expect(errors[0]!.message).toBe(message);
      expect(body.toString()).toBe(message);
    },
  );

  it("answers 500 with Kubernetes' message through the default responder", async () => {
    const app = await mounted();
    const { status, headers, body } = await redirectTo(app, 'http://[::1');
    expect(status).toBe(500);
    expect(headers.location).toBeUndefined();
    expect(body.toString()).toBe(`${BAD_LOCATION}parse "http://[::1": missing ']' in host\n`);
  });
});

describe('upgradeAware with rejectForwardingRedirects and the rewriting transport', () => {
  const REJECTED = 'the backend attempted to redirect this request, which is not permitted';

  it.each([
    ['a rewritten path-only Location', '/next', 302],
    ['a rewritten same-host Location', 'http://BACKEND/next', 301],
    ['another host', 'http://example.com/next', 307],
  ])('still turns a 3xx with %s into a 502', async (_name, location, status) => {
    const app = await mounted({ rejectForwardingRedirects: true });
    const response = await redirectTo(app, location.replace('BACKEND', backendHost), status);
    expect(response.status).toBe(502);
    expect(response.headers.location).toBeUndefined();
    expect(response.body.toString()).toBe(REJECTED);
  });

  it('lets a 201 with a rewritten Location through', async () => {
    const app = await mounted({ rejectForwardingRedirects: true });
    const { status, headers } = await redirectTo(app, '/created/1', 201);
    expect(status).toBe(201);
    expect(headers.location).toBe('/proxy/created/1');
  });
});
