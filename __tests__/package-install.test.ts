// The package as users install it. A copy of the sources with nothing built (as a fresh clone
// is: dist/ is not in git) is packed with `npm pack`, whose `prepare` script must build it; the
// tarball is installed into a scratch project with no network, and used from require, from import
// and from TypeScript type-checked against the installed types.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface LockEntry {
  version: string;
  dependencies?: Record<string, string>;
}
interface Manifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/** What of a clone packing needs; node_modules is linked, not copied. */
const SOURCES = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'README.md',
  'LICENSE',
  'lib',
  'docs',
];

/**
 * The environment of an npm run by hand: without the npm_* variables of the `npm test` or `npx`
 * around jest (npm_config_local_prefix would make the inner npm act on this repository), but with
 * the same cache, the one `npm ci` filled.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
  );
  return {
    ...env,
    npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
  };
}

/** Runs `command` in `cwd`; fails with what it wrote. */
async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    return (
      await execFileAsync(command, args, {
        cwd,
        env: npmEnv(),
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      })
    ).stdout;
  } catch (err) {
    const { message, stdout, stderr } = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}: ${message}\n${stdout ?? ''}${stderr ?? ''}`,
    );
  }
}

/** The lock entry's key for `name` as required from the package at `from`, resolved as Node does. */
function resolveInLock(from: string, name: string): string {
  for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (!base)
      throw new Error(`${name} (needed by ${from || 'the package'}) is not in package-lock.json`);
  }
}

/**
 * A lockfile for a project that depends on the tarball alone: the runtime dependencies come with
 * the exact versions and integrity of this repository's lock, so `npm ci --offline` finds their
 * tarballs in the cache with no registry metadata (`npm ci` fetches tarballs, not metadata).
 */
function scratchLock(tarball: string): object {
  const root = { name: 'scratch', version: '1.0.0', dependencies: { [pkg.name]: tarball } };
  // npm ci links what the lock says the package's bin is.
  const self = {
    version: pkg.version,
    resolved: tarball,
    dependencies: pkg.dependencies,
    bin: pkg.bin,
  };
  const packages: Record<string, unknown> = { '': root, [`node_modules/${pkg.name}`]: self };
  const wanted: [from: string, name: string][] = Object.keys(pkg.dependencies).map((name) => [
    '',
    name,
  ]);
  for (let next = wanted.shift(); next; next = wanted.shift()) {
    const key = resolveInLock(next[0], next[1]);
    if (packages[key]) continue;
    packages[key] = lock.packages[key];
    for (const name of Object.keys(lock.packages[key]!.dependencies ?? {}))
      wanted.push([key, name]);
  }
  return { name: 'scratch', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

/** A user's program, as CommonJS or as an ES module: what it sees of the package, as JSON. */
function program(load: string): string {
  return `${load}
const proxy = m.upgradeAware({ location: 'http://127.0.0.1:1/' });
const error = new m.ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'x');
const report = { middleware: typeof proxy, upgrade: typeof proxy.upgrade, routeUpgrades: typeof m.routeUpgrades,
  error: error instanceof Error, code: error.code, status: error.status };
proxy.close().then(() => console.log(JSON.stringify(report)));
`;
}
const REPORT = {
  middleware: 'function',
  upgrade: 'function',
  routeUpgrades: 'function',
  error: true,
  code: 'ERR_PROXY_BACKEND_TIMEOUT',
  status: 504,
};

/**
 * A user's program loading the ready-made stages by their subpath: which it finds, and one at work
 * on a response (headers as the proxy passes them, reduced to what the stage calls).
 */
function stagesProgram(load: string): string {
  return `${load}
let cookies;
const headers = { getAll: () => ['a=1; Domain=backend.local'], set: (_name, value) => (cookies = value) };
m.rewriteCookies({ domain: 'app.example' })({}, { headers });
console.log(JSON.stringify({ names: Object.keys(m).sort(), cookies }));
`;
}
const STAGES_REPORT = {
  names: [
    'interceptBody',
    'removeRequestHeaders',
    'removeResponseHeaders',
    'rewriteCookies',
    'setRequestHeaders',
    'setResponseHeaders',
    'transformBody',
  ],
  cookies: ['a=1; Domain=app.example'],
};

/**
 * A user's TypeScript. Lines 7 to 9 must be the only errors: a misspelled option, a transport of
 * the wrong type and an unknown error code, which also shows the types are real, not `any`.
 */
const TYPESCRIPT = `import { ProxyError, upgradeAware } from '${pkg.name}';
import type { ProxyErrorCode, UpgradeAwareMiddleware, UpgradeAwareOptions } from '${pkg.name}';
const options: UpgradeAwareOptions = { location: 'http://127.0.0.1:1/', useRequestLocation: true, flushInterval: -1 };
const proxy: UpgradeAwareMiddleware = upgradeAware(options);
const code: ProxyErrorCode = new ProxyError('ERR_PROXY_DIAL', 'x').code;
void proxy.close().then(() => code);
upgradeAware({ location: 'http://127.0.0.1:1/', useRequestLocaton: true });
upgradeAware({ location: 'http://127.0.0.1:1/', transport: 'agent' });
new ProxyError('ERR_PROXY_NOPE', 'x');
`;
/** The errors {@link TYPESCRIPT} must get, in each file. */
const TYPE_ERRORS = [
  /\(7,\d+\): error TS\d+: .*'useRequestLocaton' does not exist in type 'UpgradeAwareOptions'/,
  /\(8,\d+\): error TS2322: Type 'string' is not assignable to type 'NodeAgent \| UndiciDispatcher \| undefined'/,
  /\(9,\d+\): error TS2345: Argument of type '"ERR_PROXY_NOPE"' is not assignable to parameter of type 'ProxyErrorCode'/,
];
/**
 * A user's TypeScript with the stages. Lines 13 and 14 must be the only errors: `interceptBody`
 * without `maxBytes`, and a header value of the wrong type.
 */
const TYPESCRIPT_STAGES = `import { PassThrough } from 'node:stream';
import { upgradeAware } from '${pkg.name}';
import { interceptBody, removeResponseHeaders, rewriteCookies } from '${pkg.name}/stages';
import { setRequestHeaders, transformBody } from '${pkg.name}/stages';
import type { RewriteCookiesOptions } from '${pkg.name}/stages';
const cookies: RewriteCookiesOptions = { domain: { 'backend.local': 'app.example' }, path: '/' };
const json = interceptBody({ types: ['application/json'], maxBytes: 1024 }, (b) => b);
const html = transformBody({ types: ['text/html'] }, () => new PassThrough());
const response = [removeResponseHeaders(['x-powered-by']), rewriteCookies(cookies), json, html];
const request = [setRequestHeaders({ 'x-tenant': 'a', cookie: null, 'x-list': ['1', '2'] })];
const proxy = upgradeAware({ location: 'http://127.0.0.1:1/', stages: { request, response } });
void proxy.close();
interceptBody({ types: ['text/html'] }, (body) => body);
setRequestHeaders({ 'x-tenant': 1 });
`;
/** The errors {@link TYPESCRIPT_STAGES} must get, in each file. */
const STAGES_TYPE_ERRORS = [
  /\(13,\d+\): error TS2345: Argument of type .* is not assignable to parameter of type 'InterceptBodyOptions'/,
  /\(14,\d+\): error TS2322: Type 'number' is not assignable to type/,
];
/** As most projects have it: checking @types/node itself would cost some 10 s. */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  },
  files: ['use.cts', 'use.mts', 'use-stages.cts', 'use-stages.mts'],
};

let tmp: string;
let scratch: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'package-install-'));
  const clone = path.join(tmp, 'clone');
  const packed = path.join(tmp, 'packed');
  scratch = path.join(tmp, 'scratch');
  await Promise.all([mkdir(clone), mkdir(packed), mkdir(scratch)]);
  for (const source of SOURCES.filter((file) => existsSync(path.join(ROOT, file))))
    await cp(path.join(ROOT, source), path.join(clone, source), { recursive: true });
  await symlink(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  await run('npm', ['pack', '--pack-destination', packed], clone);
  const [tarball] = await readdir(packed);
  const spec = `file:${path.relative(scratch, path.join(packed, tarball!))}`;
  await writeFile(
    path.join(scratch, 'package.json'),
    JSON.stringify({
      name: 'scratch',
      version: '1.0.0',
      private: true,
      dependencies: { [pkg.name]: spec },
    }),
  );
  await writeFile(path.join(scratch, 'package-lock.json'), JSON.stringify(scratchLock(spec)));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], scratch);
}, 240_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the package packed from a fresh clone and installed from its tarball', () => {
  it('was built by prepare: the tarball has the JavaScript, the types and the command', () => {
    const installed = path.join(scratch, 'node_modules', pkg.name);
    for (const file of [
      'dist/index.js',
      'dist/index.mjs',
      'dist/index.d.ts',
      'dist/index.d.mts',
      'dist/cli/main.js',
      'dist/stages/index.js',
      'dist/stages/index.mjs',
      'dist/stages/index.d.ts',
      'dist/stages/index.d.mts',
    ]) {
      expect(existsSync(path.join(installed, file))).toBe(true);
    }
    expect(existsSync(path.join(installed, 'dist', 'demo'))).toBe(false);
  });

  it('works from require', async () => {
    await writeFile(path.join(scratch, 'use.cjs'), program(`const m = require('${pkg.name}');`));
    expect(JSON.parse(await run(process.execPath, ['use.cjs'], scratch))).toEqual(REPORT);
  });

  it('works from import', async () => {
    await writeFile(path.join(scratch, 'use.mjs'), program(`import * as m from '${pkg.name}';`));
    expect(JSON.parse(await run(process.execPath, ['use.mjs'], scratch))).toEqual(REPORT);
  });

  it('has its stages at the ./stages subpath, from require', async () => {
    const load = `const m = require('${pkg.name}/stages');`;
    await writeFile(path.join(scratch, 'stages.cjs'), stagesProgram(load));
    expect(JSON.parse(await run(process.execPath, ['stages.cjs'], scratch))).toEqual(STAGES_REPORT);
  });

  it('has its stages at the ./stages subpath, from import', async () => {
    const load = `import * as m from '${pkg.name}/stages';`;
    await writeFile(path.join(scratch, 'stages.mjs'), stagesProgram(load));
    expect(JSON.parse(await run(process.execPath, ['stages.mjs'], scratch))).toEqual(STAGES_REPORT);
  });

  it('runs its command from node_modules/.bin', async () => {
    expect(
      await run(path.join(scratch, 'node_modules', '.bin', pkg.name), ['--help'], scratch),
    ).toContain('kubectl proxy');
  });

  it('type-checks with its own types, for require and import, the stages too, and rejects a misspelled option, a wrong type, an unknown code and a stage without its limit', async () => {
    await Promise.all([
      writeFile(path.join(scratch, 'use.cts'), TYPESCRIPT),
      writeFile(path.join(scratch, 'use.mts'), TYPESCRIPT),
      writeFile(path.join(scratch, 'use-stages.cts'), TYPESCRIPT_STAGES),
      writeFile(path.join(scratch, 'use-stages.mts'), TYPESCRIPT_STAGES),
      writeFile(path.join(scratch, 'tsconfig.json'), JSON.stringify(TSCONFIG)),
    ]);
    const checked = await execFileAsync(process.execPath, [TSC, '-p', '.'], { cwd: scratch }).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    const errors = checked.split('\n').filter((line) => /error TS\d+/.test(line));
    // tsc reports the files in the order of their names.
    const expected = (
      [
        ['use-stages.cts', STAGES_TYPE_ERRORS],
        ['use-stages.mts', STAGES_TYPE_ERRORS],
        ['use.cts', TYPE_ERRORS],
        ['use.mts', TYPE_ERRORS],
      ] as const
    ).flatMap(([file, fileErrors]) =>
      fileErrors.map((error) =>
        expect.stringMatching(new RegExp(`^${file.replace('.', '\\.')}${error.source}`)),
      ),
    );
    expect(errors).toEqual(expected);
  });
});
