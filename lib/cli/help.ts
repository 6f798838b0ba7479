/**
 * The `--help` text, in kubectl's layout (cobra's): what the command does, examples, every flag
 * from the flag table with its short form and default, then the usage line.
 */
import { DEFAULTS } from './cli-options.js';
import type { CliOptions } from './cli-options.js';
import { FLAGS, flagName } from './flag-table.js';

function shown(value: CliOptions[keyof CliOptions]): string {
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

/**
 * The `--help` text: every flag with its short form and default, in kubectl's layout.
 *
 * @example process.stdout.write(helpText())
 */
export function helpText(): string {
  const lines = FLAGS.map((spec) => {
    const head = spec.short ? `-${spec.short}, ` : '';
    const value =
      spec.key === 'target'
        ? ''
        : spec.key === 'keepalive'
          ? '=0s'
          : `=${shown(DEFAULTS[spec.key])}`;
    return `    ${head}--${flagName(spec.key)}${value}:\n\t${spec.usage}\n`;
  });
  return [
    'Creates a proxy server or application-level gateway between localhost and one backend, as',
    'kubectl proxy does for the Kubernetes API server, WebSocket and other upgrades included.',
    '',
    'Examples:',
    "  # Proxy a local service on port 8001, with kubectl proxy's request filter",
    '  upgrade-aware-proxy --target http://127.0.0.1:8080',
    '',
    '  # Serve like kubectl proxy, from a kubeconfig',
    '  upgrade-aware-proxy --kubeconfig ~/.kube/config',
    '',
    'Options:',
    ...lines,
    'Usage:',
    '  upgrade-aware-proxy [--target=URL] [--port=8001] [--www=static-dir] [--www-prefix=prefix] [--api-prefix=prefix] [options]',
    '',
  ].join('\n');
}
