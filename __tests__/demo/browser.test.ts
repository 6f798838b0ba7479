// The demo's page end to end in headless Chromium (the one the npm package @sparticuz/chromium
// ships, driven by playwright-core; see ./chromium.ts): the page loads through the proxy with its
// links rewritten, its WebSocket echoes and its server-sent events arrive, both through the proxy,
// and a screenshot is written.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page, Response } from 'playwright-core';
import { EXECUTABLE, PACKAGE_VERSION, childExecutables, launchChromium } from './chromium.js';
import { ROOT, runDemo } from './spawn-demo.js';
import type { RunningDemo } from './spawn-demo.js';

/** Hang guard for the page's live parts to show something. */
const LIVE = 20_000;

/** The text of the element with id `id`. */
function textOf(page: Page, id: string): Promise<string> {
  return page.locator(`#${id}`).innerText();
}

/** Waits until the text of `#id` matches `pattern` (hang-guarded), and returns it. */
async function waitForText(page: Page, id: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + LIVE;
  for (;;) {
    const text = await textOf(page, id);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline)
      throw new Error(`#${id} still reads ${JSON.stringify(text)}, not ${pattern}`);
    await page.waitForTimeout(100);
  }
}

describe('the demo page in headless Chromium', () => {
  let tmp: string;
  let demo: RunningDemo | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let response: Response | null;
  /** Every URL the page asked for, WebSockets included. */
  const requested: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'demo-browser-'));
    demo = await runDemo(['--port', '0']);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('request', (req) => requested.push(req.url()));
    page.on('websocket', (ws) => requested.push(ws.url()));
    response = await page.goto(`${demo.url}/`, { timeout: LIVE });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.kill();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('runs the Chromium that @sparticuz/chromium ships, not one of the system', () => {
    expect(EXECUTABLE.startsWith(path.join(ROOT, 'node_modules') + path.sep)).toBe(true);
    expect(childExecutables()).toContain(EXECUTABLE);
    // The package's major version is the Chromium major it ships.
    expect(browser!.version().split('.')[0]).toBe(PACKAGE_VERSION.split('.')[0]);
  });

  it('loads the page through the proxy, from / redirected to /proxy/', async () => {
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${demo!.url}/proxy/`);
    expect(await page.title()).toBe('upgrade-aware-proxy demo');
    expect(await textOf(page, 'arrival')).toContain('X-Forwarded-Uri: /proxy/');
  });

  it('has its links, script and stylesheet rewritten under /proxy, and shows them', async () => {
    const links = await page
      .locator('#links a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(['/proxy/echo?hello=world', '/proxy/events', '/proxy/ws']);
    expect(await page.locator('link[rel=stylesheet]').getAttribute('href')).toBe(
      '/proxy/style.css',
    );
    expect(await page.locator('script').getAttribute('src')).toBe('/proxy/app.js');
    expect(await page.locator('#links code.href').allInnerTexts()).toEqual([
      'href="/proxy/echo?hello=world"',
      'href="/proxy/events"',
      'href="/proxy/ws"',
    ]);
    // The stylesheet arrived through the proxy and applies.
    // (A string, run in the page: the tests are type-checked without the DOM's types.)
    expect(
      await page.evaluate("getComputedStyle(document.querySelector('main')).borderTopLeftRadius"),
    ).toBe('8px');
  });

  it('echoes WebSocket messages through the proxy', async () => {
    expect(await textOf(page, 'ws-url')).toBe(`ws://127.0.0.1:${demo!.port}/proxy/ws`);
    expect(await waitForText(page, 'ws-status', /^echo: hello \d+$/)).toMatch(/^echo: hello \d+$/);
  });

  it('receives server-sent events through the proxy, one after another', async () => {
    expect(await textOf(page, 'sse-url')).toBe(`${demo!.url}/proxy/events`);
    const first = await waitForText(page, 'sse-status', /^event \d+: \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    const id = Number(/^event (\d+)/.exec(first)![1]);
    const later = await waitForText(page, 'sse-status', new RegExp(`^event (?!${id}:)\\d+: `));
    expect(Number(/^event (\d+)/.exec(later)![1])).toBeGreaterThan(id);
  });

  it('asked for nothing but the proxy', () => {
    const proxied = new RegExp(`^(?:http|ws)://127\\.0\\.0\\.1:${demo!.port}/(?:proxy/|$)`);
    expect(requested.filter((url) => !url.startsWith('data:') && !proxied.test(url))).toEqual([]);
    expect(requested).toEqual(
      expect.arrayContaining([
        `${demo!.url}/proxy/app.js`,
        `${demo!.url}/proxy/style.css`,
        `${demo!.url}/proxy/events`,
        `ws://127.0.0.1:${demo!.port}/proxy/ws`,
      ]),
    );
  });

  it('writes a screenshot into the temp folder', async () => {
    const file = path.join(tmp, 'demo.png');
    await page.screenshot({ path: file, fullPage: true, timeout: LIVE });
    expect((await stat(file)).size).toBeGreaterThan(0);
    expect((await readFile(file)).subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });
});
