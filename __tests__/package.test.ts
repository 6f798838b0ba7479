import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  engines?: { node?: string };
  exports?: Record<string, unknown>;
  files?: string[];
};

/** Runs a script in a fresh node from the project root, so the package resolves by its own name. */
function node(...args: string[]): unknown {
  const out = execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out);
}

/** What a loader sees of the package: checked inside the loader, reported as JSON. */
const PROBE = `
  const report = {
    upgradeAware: typeof m.upgradeAware,
    ProxyError: typeof m.ProxyError,
    errorIsError: new m.ProxyError('ERR_PROXY_DIAL', 'x') instanceof Error,
    errorCode: new m.ProxyError('ERR_PROXY_DIAL', 'x').code,
    errorStatus: new m.ProxyError('ERR_PROXY_BACKEND_TIMEOUT', 'x').status,
  };
  const proxy = m.upgradeAware({ location: 'http://127.0.0.1:1/' });
  report.middleware = typeof proxy;
  report.upgrade = typeof proxy.upgrade;
  proxy.close().then(() => console.log(JSON.stringify(report)));
`;

const EXPECTED = {
  upgradeAware: 'function',
  ProxyError: 'function',
  errorIsError: true,
  errorCode: 'ERR_PROXY_DIAL',
  errorStatus: 504,
  middleware: 'function',
  upgrade: 'function',
};

describe('the built package', () => {
  beforeAll(() => {
    // `npm test` builds before jest; rebuilding here would rewrite dist/ under the tests that
    // spawn the built command and demo. Build only when a bare `npx jest` finds nothing built.
    if (!existsSync(path.join(root, 'dist', 'index.js'))) {
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe', timeout: 120_000 });
    }
  }, 180_000);

  it('loads through require by its own name', () => {
    expect(node('-e', `const m = require(${JSON.stringify(pkg.name)});${PROBE}`)).toEqual(EXPECTED);
  });

  it('loads through import by its own name', () => {
    expect(
      node('--input-type=module', '-e', `import * as m from ${JSON.stringify(pkg.name)};${PROBE}`),
    ).toEqual(EXPECTED);
  });

  it('gives import and require the same implementation within one process', () => {
    const script = `
      import * as esm from ${JSON.stringify(pkg.name)};
      import { createRequire } from 'node:module';
      const cjs = createRequire(import.meta.url)(${JSON.stringify(pkg.name)});
      console.log(JSON.stringify({
        upgradeAware: esm.upgradeAware === cjs.upgradeAware,
        ProxyError: esm.ProxyError === cjs.ProxyError,
      }));
    `;
    expect(node('--input-type=module', '-e', script)).toEqual({
      upgradeAware: true,
      ProxyError: true,
    });
  });

  it('has every file its exports map names', () => {
    const targets = JSON.stringify(pkg.exports).match(/"\.\/dist\/[^"]+"/g) ?? [];
    expect(targets.length).toBeGreaterThanOrEqual(4);
    for (const target of targets)
      expect(existsSync(path.join(root, JSON.parse(target) as string))).toBe(true);
  });

  it('packs only dist, docs and the usual metadata files', () => {
    // Without scripts: `prepare` would rebuild dist/ under the tests that spawn the built files.
    const args = ['pack', '--dry-run', '--json', '--ignore-scripts'];
    const [packed] = JSON.parse(
      execFileSync('npm', args, { cwd: root, encoding: 'utf8', timeout: 60_000 }),
    ) as [{ files: { path: string }[] }];
    const paths = packed.files.map((file) => file.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.mjs');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('dist/index.d.mts');
    expect(paths).toContain('dist/cli/main.js');
    // The demo is a program of this repository (it needs Express and ws), not of the package.
    expect(paths.filter((file) => file.startsWith('dist/examples/demo/'))).toEqual([]);
    const stray = paths.filter(
      (file) =>
        !/^(?:dist|docs)\//.test(file) &&
        !/^(?:package\.json|README(?:\.md)?|LICENSE(?:\.md)?)$/i.test(file),
    );
    expect(stray).toEqual([]);
  });
});

describe('package.json', () => {
  it('requires Node 20 or later', () => {
    expect(pkg.engines?.node).toBe('>=20');
  });

  it('maps both import and require with types first', () => {
    const main = (pkg.exports as Record<string, Record<string, Record<string, string>>>)['.']!;
    for (const condition of ['import', 'require']) {
      const entry = main[condition]!;
      expect(Object.keys(entry)[0]).toBe('types');
      expect(entry.types).toMatch(/\.d\.m?ts$/);
      expect(entry.default).toMatch(/^\.\/dist\//);
    }
    expect(main.import!.default).toMatch(/\.mjs$/);
    expect(main.require!.default).toMatch(/\.c?js$/);
  });

  it('lists only dist and docs in files', () => {
    expect(pkg.files).toContain('dist');
    for (const entry of pkg.files ?? []) expect(entry).toMatch(/^!?(?:dist|docs)(?:\/|$)/);
  });

  it('names the command-line proxy as its bin, a built file with a node shebang', () => {
    const bin = (pkg as { bin?: Record<string, string> }).bin ?? {};
    expect(Object.keys(bin)).toEqual(['upgrade-aware-proxy']);
    const file = path.join(root, bin['upgrade-aware-proxy']!);
    expect(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
