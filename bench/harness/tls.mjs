// The TLS material of the `https` contenders: one self-signed P-256 certificate for 127.0.0.1,
// made with openssl in a fresh temporary directory per bench run. The TLS backend serves it; the
// contenders that reach that backend trust it as their only CA (`ca=<file>`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath } from './processes.mjs';

// Our own config, so that neither the system openssl.cnf nor OPENSSL_CONF changes the result.
const CONFIG = [
  '[req]',
  'distinguished_name = dn',
  'prompt = no',
  'x509_extensions = server',
  '[dn]',
  'CN = upgrade-aware-proxy bench',
  '[server]',
  'basicConstraints = critical, CA:TRUE',
  'subjectAltName = IP:127.0.0.1',
  '',
].join('\n');

let made;

/** Whether TLS contenders can run here (openssl on PATH). */
export const tlsAvailable = onPath('openssl');

/**
 * `{ dir, cert, key }`: the files of the bench certificate, made on first use, removed when this
 * process exits. Throws if openssl fails.
 */
export function benchTls() {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), 'uap-bench-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = (name) => join(dir, name);
  writeFileSync(file('openssl.cnf'), CONFIG);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      file('key.pem'),
      '-out',
      file('cert.pem'),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, OPENSSL_CONF: file('openssl.cnf') },
    },
  );
  made = { dir, cert: file('cert.pem'), key: file('key.pem') };
  return made;
}

/** The server side: `{ key, cert }` read from the files named by `tls=<dir>` in `args`, or undefined. */
export function serverTls(args) {
  const dir = args.find((arg) => arg.startsWith('tls='))?.slice('tls='.length);
  if (!dir) return undefined;
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

/** The client side: the CA named by `ca=<file>` in `args`, or undefined. */
export function clientCa(args) {
  const file = args.find((arg) => arg.startsWith('ca='))?.slice('ca='.length);
  return file ? readFileSync(file) : undefined;
}
