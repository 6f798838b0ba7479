// The demo behind `npm start`, run as the built program (`node dist/examples/demo/demo.js --port 0`): its
// banner, each part of the backend through the proxy (the page with rewritten links, the JSON echo,
// server-sent events, the WebSocket echo), the printed WebSocket one-liner, bad arguments, and
// shutdown on SIGTERM and SIGINT.
import http from 'node:http';
import { execFile } from 'node:child_process';
import WebSocket from 'ws';
import { listen, request } from '../helpers/servers.js';
import { openWebSocket } from '../helpers/websockets.js';
import { openEvents, roundTrip } from './clients.js';
import { ROOT, exitOf, runDemo, waitForExit } from './spawn-demo.js';
import type { RunningDemo } from './spawn-demo.js';

/** Runs `command` in a shell in the project's root, as a user pasting it would. */
function shell(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { cwd: ROOT, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The banner's line holding `start` (indented command lines), trimmed. */
function bannerLine(banner: string, start: string): string {
  const line = banner.split('\n').find((text) => text.trim().startsWith(start));
  if (line === undefined)
    throw new Error(`no line starting with ${JSON.stringify(start)} in the banner:\n${banner}`);
  return line.trim();
}

describe('the demo (node dist/examples/demo/demo.js --port 0)', () => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await runDemo(['--port', '0']);
  }, 30_000);
  afterAll(async () => {
    await demo?.kill();
  });

  describe('its banner', () => {
    it('starts with "Starting to serve on 127.0.0.1:PORT", a real port', () => {
      expect(demo.banner.split('\n')[0]).toBe(`Starting to serve on 127.0.0.1:${demo.port}`);
      expect(demo.port).toBeGreaterThan(0);
    });

    it('prints ready-to-paste commands for the page, the echo, the events and the links, on the real port', () => {
      const proxy = `http://127.0.0.1:${demo.port}/proxy`;
      expect(demo.banner).toContain(`  ${proxy}/\n`);
      expect(bannerLine(demo.banner, "curl -s '")).toBe(`curl -s '${proxy}/echo?hello=world'`);
      expect(bannerLine(demo.banner, 'curl -s -X POST')).toBe(
        `curl -s -X POST -d 'some data' ${proxy}/echo`,
      );
      expect(bannerLine(demo.banner, 'curl -N')).toBe(`curl -N ${proxy}/events`);
      expect(bannerLine(demo.banner, `curl -s ${proxy}/ |`)).toBe(`curl -s ${proxy}/ | grep href`);
    });

    it("prints the command-line proxy's command for the backend it runs, which answers there", async () => {
      const line = bannerLine(demo.banner, 'node dist/cli/main.js');
      const match = /^node dist\/cli\/main\.js --target (http:\/\/127\.0\.0\.1:\d+) --port 0$/.exec(
        line,
      );
      expect(match).not.toBeNull();
      const direct = await request(`${match![1]}/echo?direct=1`);
      expect(direct.status).toBe(200);
      expect(JSON.parse(direct.body.toString())).toMatchObject({
        method: 'GET',
        url: '/echo?direct=1',
      });
    });
  });

  describe('the backend, asked directly', () => {
    it("writes its links root-relative: the rewriting is the proxy's doing", async () => {
      const backend = /^node dist\/cli\/main\.js --target (\S+) /.exec(
        bannerLine(demo.banner, 'node dist/cli/main.js'),
      )![1];
      const page = (await request(`${backend}/`)).body.toString();
      expect(page).toContain('href="/echo?hello=world"');
      expect(page).toContain('src="/app.js"');
      expect(page).toContain('without <code>X-Forwarded-Uri</code>');
    });
  });

  describe('the proxy at /proxy', () => {
    it('redirects / to /proxy/', async () => {
      const res = await request(`${demo.url}/`);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/proxy/');
    });

    it('serves the page with its root-relative links rewritten under /proxy', async () => {
      const res = await request(`${demo.url}/proxy/`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      const page = res.body.toString();
      expect(page).toContain('<title>upgrade-aware-proxy demo</title>');
      for (const link of [
        'href="/proxy/echo?hello=world"',
        'href="/proxy/events"',
        'href="/proxy/ws"',
        'href="/proxy/style.css"',
        'src="/proxy/app.js"',
      ]) {
        expect(page).toContain(link);
      }
      expect(page).not.toMatch(/(?:href|src)="\/(?!proxy\/)/);
      expect(page).toContain('<code>X-Forwarded-Uri: /proxy/</code>');
    });

    it('serves the script and the stylesheet the page links to', async () => {
      const script = await request(`${demo.url}/proxy/app.js`);
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.body.toString()).toContain('new WebSocket(url)');
      const style = await request(`${demo.url}/proxy/style.css`);
      expect(style.status).toBe(200);
      expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    });

    it('echoes a GET as JSON, with the path the backend received', async () => {
      const res = await request(`${demo.url}/proxy/echo?hello=world`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      const echo = JSON.parse(res.body.toString()) as {
        method: string;
        url: string;
        headers: Record<string, string>;
        body: string;
      };
      expect(echo).toMatchObject({ method: 'GET', url: '/echo?hello=world', body: '' });
      expect(echo.headers['x-forwarded-uri']).toBe('/proxy/echo');
    });

    it('echoes a POST with its body', async () => {
      const res = await request(`${demo.url}/proxy/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'some data',
      });
      expect(res.status).toBe(200);
      const echo = JSON.parse(res.body.toString()) as {
        method: string;
        url: string;
        headers: Record<string, string>;
        body: string;
      };
      expect(echo).toMatchObject({ method: 'POST', url: '/echo', body: 'some data' });
      expect(echo.headers['content-type']).toBe('text/plain');
    });

    it('streams server-sent events, numbered with id:', async () => {
      const stream = await openEvents(`${demo.url}/proxy/events`);
      try {
        expect(stream.res.statusCode).toBe(200);
        expect(stream.res.headers['content-type']).toBe('text/event-stream');
        const events = await stream.next(3);
        expect(events.map((event) => event.id)).toEqual(['1', '2', '3']);
        for (const event of events) expect(new Date(event.data).toISOString()).toBe(event.data);
      } finally {
        stream.close();
      }
    });

    it("resumes the events after the client's Last-Event-ID", async () => {
      const stream = await openEvents(`${demo.url}/proxy/events`, { 'Last-Event-ID': '41' });
      try {
        expect((await stream.next(1))[0]!.id).toBe('42');
      } finally {
        stream.close();
      }
    });

    it('echoes WebSocket messages, text and binary, through /proxy/ws', async () => {
      const ws = await openWebSocket(`ws://127.0.0.1:${demo.port}/proxy/ws`);
      try {
        const text = await roundTrip(ws, 'hello demo');
        expect(text).toEqual({ data: Buffer.from('hello demo'), isBinary: false });
        const binary = await roundTrip(ws, Buffer.from([0, 1, 2, 255]));
        expect(binary).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
      } finally {
        ws.close();
      }
    });

    it('runs the printed WebSocket one-liner as printed, in the project directory', async () => {
      const line = bannerLine(demo.banner, 'node -e ');
      expect(line).toContain(`'ws://127.0.0.1:${demo.port}/proxy/ws'`);
      // Nothing an interactive shell would expand inside double quotes (history, variables, commands).
      expect(line).not.toMatch(/[!$`\\]/);
      const result = await shell(line);
      expect(result).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
    });
  });
});

describe('the demo command line', () => {
  it.each([
    [
      '--port abc',
      ['--port', 'abc'],
      /^demo: --port must be a port number from 0 to 65535, not "abc"\n$/,
    ],
    [
      '--port 65536',
      ['--port', '65536'],
      /^demo: --port must be a port number from 0 to 65535, not "65536"\n$/,
    ],
    [
      '--port=-1',
      ['--port=-1'],
      /^demo: --port must be a port number from 0 to 65535, not "-1"\n$/,
    ],
    [
      '--port without a value',
      ['--port'],
      /^demo: --port needs a value: a port number from 0 to 65535\n$/,
    ],
    [
      'an unknown argument',
      ['--target', 'x'],
      /^demo: unknown argument "--target"; usage: [^\n]*\n$/,
    ],
  ])('exits 2 with one line on stderr for %s', async (_name, args, message) => {
    const exit = await exitOf(args);
    expect(exit).toMatchObject({ code: 2, stdout: '' });
    expect(exit.stderr).toMatch(message);
  });

  it('prints its usage for --help and exits 0', async () => {
    const exit = await exitOf(['--help']);
    expect(exit).toMatchObject({ code: 0, stderr: '' });
    expect(exit.stdout).toMatch(
      /^usage: node dist\/examples\/demo\/demo\.js \[--port N\][^\n]*\n$/,
    );
  });

  it('exits 1 with one line when the port given with --port is taken, trying no other', async () => {
    const taken = await listen(http.createServer());
    try {
      const exit = await exitOf(['--port', String(taken.port)]);
      expect(exit).toMatchObject({ code: 1, stdout: '' });
      expect(exit.stderr).toMatch(new RegExp(`^demo: [^\\n]*EADDRINUSE[^\\n]*:${taken.port}\\n$`));
    } finally {
      await taken.close();
    }
  });
});

describe('the demo shutting down', () => {
  let demo: RunningDemo | undefined;
  afterEach(async () => {
    await demo?.kill();
    demo = undefined;
  });

  it('exits 0 on SIGTERM sent the moment the banner is read', async () => {
    demo = await runDemo();
    demo.child.kill('SIGTERM');
    expect(await waitForExit(demo.exited)).toMatchObject({ code: 0, signal: null, stderr: '' });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'exits 0 on %s, ending its open event streams and WebSockets',
    async (signal) => {
      demo = await runDemo();
      const stream = await openEvents(`${demo.url}/proxy/events`);
      const ws = await openWebSocket(`ws://127.0.0.1:${demo.port}/proxy/ws`);
      await stream.next(1);
      const streamClosed = new Promise((resolve) => stream.res.once('close', resolve));
      const wsClosed = new Promise((resolve) => ws.once('close', resolve));
      ws.on('error', () => {});
      demo.child.kill(signal);
      const exit = await waitForExit(demo.exited);
      expect(exit).toMatchObject({ code: 0, signal: null, stderr: '' });
      await streamClosed;
      await wsClosed;
      expect(ws.readyState).toBe(WebSocket.CLOSED);
    },
  );
});
