import { availableParallelism } from 'node:os';
import {
  DEFAULT_HOST_ACCEPT_RE,
  DEFAULT_METHOD_REJECT_RE,
  DEFAULT_PATH_ACCEPT_RE,
  DEFAULT_PATH_REJECT_RE,
} from '../../lib/cli/filter.js';
import { DEFAULTS } from '../../lib/cli/cli-options.js';
import type { CliOptions } from '../../lib/cli/cli-options.js';
import { parseDuration } from '../../lib/cli/durations.js';
import { FlagError } from '../../lib/cli/flag-error.js';
import { parseFlags } from '../../lib/cli/flags.js';
import { helpText } from '../../lib/cli/help.js';

/** Runs parseFlags and returns the FlagError it throws, failing when it throws nothing else. */
function flagError(argv: string[]): FlagError {
  try {
    parseFlags(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(FlagError);
    const error = err as FlagError;
    expect(error.message).not.toContain('\n');
    return error;
  }
  throw new Error(`parseFlags(${JSON.stringify(argv)}) did not throw`);
}

describe('DEFAULTS', () => {
  it("holds kubectl proxy's defaults and frozen values for the added flags", () => {
    expect(DEFAULTS).toEqual({
      port: 8001,
      address: '127.0.0.1',
      unixSocket: '',
      apiPrefix: '/',
      www: '',
      wwwPrefix: '/static/',
      acceptPaths: DEFAULT_PATH_ACCEPT_RE,
      rejectPaths: DEFAULT_PATH_REJECT_RE,
      acceptHosts: DEFAULT_HOST_ACCEPT_RE,
      rejectMethods: DEFAULT_METHOD_REJECT_RE,
      disableFilter: false,
      appendServerPath: false,
      keepalive: 0,
      target: undefined,
      certificateAuthority: '',
      clientCertificate: '',
      clientKey: '',
      insecureSkipTlsVerify: false,
      tlsServerName: '',
      token: '',
      tokenFile: '',
      kubeconfig: '',
      context: '',
      maxBytesPerSec: 0,
      metrics: '',
      quiet: false,
      workers: 1,
      help: false,
    });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
  });
});

describe('parseFlags', () => {
  it('returns the defaults when given no arguments', () => {
    expect(parseFlags([])).toEqual(DEFAULTS);
  });

  it('returns a new object each time, leaving DEFAULTS untouched', () => {
    const options = parseFlags([]);
    expect(options).not.toBe(DEFAULTS);
    options.port = 1;
    expect(DEFAULTS.port).toBe(8001);
  });

  const stringFlags: [string, keyof CliOptions, string][] = [
    ['--address', 'address', '0.0.0.0'],
    ['--unix-socket', 'unixSocket', '/tmp/proxy.sock'],
    ['--www', 'www', '/srv/www'],
    ['--accept-paths', 'acceptPaths', '^/api/.*'],
    ['--reject-paths', 'rejectPaths', '^/secret'],
    ['--accept-hosts', 'acceptHosts', '^example\\.test$'],
    ['--reject-methods', 'rejectMethods', 'POST,PUT,PATCH'],
    ['--target', 'target', 'http://127.0.0.1:8080'],
    ['--certificate-authority', 'certificateAuthority', '/etc/ca.pem'],
    ['--client-certificate', 'clientCertificate', '/etc/cert.pem'],
    ['--client-key', 'clientKey', '/etc/key.pem'],
    ['--tls-server-name', 'tlsServerName', 'backend.test'],
    ['--token', 'token', 's3cret'],
    ['--token-file', 'tokenFile', '/etc/token'],
    ['--kubeconfig', 'kubeconfig', '/home/u/.kube/config'],
    ['--context', 'context', 'kind-kind'],
  ];

  it.each(stringFlags)(
    'reads %s in both the "--flag value" and "--flag=value" forms',
    (flag, key, value) => {
      expect(parseFlags([flag, value])[key]).toBe(value);
      expect(parseFlags([`${flag}=${value}`])[key]).toBe(value);
    },
  );

  it.each([
    ['--port', '-p', 'port', '9000', 9000],
    ['--unix-socket', '-u', 'unixSocket', '/tmp/p.sock', '/tmp/p.sock'],
    ['--www', '-w', 'www', '/srv', '/srv'],
    ['--www-prefix', '-P', 'wwwPrefix', '/files/', '/files/'],
  ] as [string, string, keyof CliOptions, string, unknown][])(
    'reads %s and its short form %s',
    (long, short, key, value, expected) => {
      expect(parseFlags([long, value])[key]).toBe(expected);
      expect(parseFlags([short, value])[key]).toBe(expected);
      expect(parseFlags([`${short}${value}`])[key]).toBe(expected);
    },
  );

  it('reads --help and -h', () => {
    expect(parseFlags(['--help']).help).toBe(true);
    expect(parseFlags(['-h']).help).toBe(true);
  });

  it.each([
    ['--disable-filter', 'disableFilter'],
    ['--append-server-path', 'appendServerPath'],
    ['--insecure-skip-tls-verify', 'insecureSkipTlsVerify'],
    ['--quiet', 'quiet'],
    ['--help', 'help'],
  ] as [string, keyof CliOptions][])(
    'reads the boolean %s alone or as =true / =false',
    (flag, key) => {
      expect(parseFlags([flag])[key]).toBe(true);
      expect(parseFlags([`${flag}=true`])[key]).toBe(true);
      expect(parseFlags([`${flag}=false`])[key]).toBe(false);
      expect(parseFlags([flag, `${flag}=false`])[key]).toBe(false);
      expect(parseFlags([`${flag}=false`, flag])[key]).toBe(true);
    },
  );

  it('accepts port 0 in every spelling', () => {
    expect(parseFlags(['--port=0']).port).toBe(0);
    expect(parseFlags(['--port', '0']).port).toBe(0);
    expect(parseFlags(['-p', '0']).port).toBe(0);
    expect(parseFlags(['-p0']).port).toBe(0);
  });

  it('accepts the highest port, 65535', () => {
    expect(parseFlags(['-p', '65535']).port).toBe(65535);
  });

  it('lets the last occurrence of a flag win', () => {
    expect(parseFlags(['-p', '1', '--port', '2']).port).toBe(2);
  });

  it('takes a value starting with a dash as the value, as pflag does', () => {
    expect(parseFlags(['--token', '-abc-']).token).toBe('-abc-');
  });

  it('appends a slash to --api-prefix and --www-prefix when missing', () => {
    const options = parseFlags(['--api-prefix', '/api', '-P', '/files']);
    expect(options.apiPrefix).toBe('/api/');
    expect(options.wwwPrefix).toBe('/files/');
  });

  it('keeps prefixes that already end with a slash', () => {
    const options = parseFlags(['--api-prefix=/api/', '--www-prefix=/files/']);
    expect(options.apiPrefix).toBe('/api/');
    expect(options.wwwPrefix).toBe('/files/');
  });

  it('turns an empty prefix into "/"', () => {
    expect(parseFlags(['--api-prefix=']).apiPrefix).toBe('/');
    expect(parseFlags(['--www-prefix=']).wwwPrefix).toBe('/');
  });

  it('reads --keepalive as a duration in milliseconds', () => {
    expect(parseFlags(['--keepalive', '30s']).keepalive).toBe(30000);
    expect(parseFlags(['--keepalive=0']).keepalive).toBe(0);
  });

  it('reads --max-bytes-per-sec as a non-negative integer', () => {
    expect(parseFlags(['--max-bytes-per-sec', '1048576']).maxBytesPerSec).toBe(1048576);
    expect(parseFlags(['--max-bytes-per-sec=0']).maxBytesPerSec).toBe(0);
  });

  it('reads --workers as a count, and auto as one per CPU this process may use', () => {
    expect(parseFlags(['--workers', '2']).workers).toBe(2);
    expect(parseFlags(['--workers=1']).workers).toBe(1);
    expect(parseFlags(['--workers', 'auto']).workers).toBe(availableParallelism());
  });

  it('accepts empty reject lists (kubernetes/kubernetes#99616)', () => {
    const options = parseFlags(['--reject-paths=', '--reject-methods=']);
    expect(options.rejectPaths).toBe('');
    expect(options.rejectMethods).toBe('');
  });

  it("allows --unix-socket with --port left at or set to 8001 (kubectl's rule)", () => {
    expect(parseFlags(['-u', '/tmp/p.sock']).unixSocket).toBe('/tmp/p.sock');
    expect(parseFlags(['-u', '/tmp/p.sock', '-p', '8001']).port).toBe(8001);
  });

  describe('errors', () => {
    it.each([
      [['--port', 'abc'], 'invalid value "abc" for --port: must be an integer from 0 to 65535'],
      [['-p', '65536'], 'invalid value "65536" for --port: must be an integer from 0 to 65535'],
      [['-p', '-1'], 'invalid value "-1" for --port: must be an integer from 0 to 65535'],
      [['--port=8.5'], 'invalid value "8.5" for --port: must be an integer from 0 to 65535'],
      [['--port='], 'invalid value "" for --port: must be an integer from 0 to 65535'],
      [
        ['--max-bytes-per-sec', '-5'],
        'invalid value "-5" for --max-bytes-per-sec: must be a non-negative integer',
      ],
      [
        ['--max-bytes-per-sec=1.5'],
        'invalid value "1.5" for --max-bytes-per-sec: must be a non-negative integer',
      ],
      [
        ['--keepalive', '30'],
        'invalid value "30" for --keepalive: must be a non-negative duration such as 30s, 1m or 500ms',
      ],
      [
        ['--keepalive=-1s'],
        'invalid value "-1s" for --keepalive: must be a non-negative duration such as 30s, 1m or 500ms',
      ],
      [
        ['--workers', '0'],
        'invalid value "0" for --workers: must be auto or an integer from 1 to 1024',
      ],
      [
        ['--workers=x'],
        'invalid value "x" for --workers: must be auto or an integer from 1 to 1024',
      ],
      [
        ['--workers', '1025'],
        'invalid value "1025" for --workers: must be auto or an integer from 1 to 1024',
      ],
      [
        ['--workers', '-2'],
        'invalid value "-2" for --workers: must be auto or an integer from 1 to 1024',
      ],
      [['--quiet=yes'], 'invalid value "yes" for --quiet: must be true or false'],
      [['--prot', '8001'], 'unknown flag --prot'],
      [['--prot=8001'], 'unknown flag --prot'],
      [['-x'], 'unknown flag -x'],
      [['--port'], 'flag needs an argument: --port'],
      [['serve'], 'unexpected argument "serve"'],
      [['-u', '/tmp/p.sock', '-p', '0'], 'cannot set --unix-socket and --port at the same time'],
      [
        ['--port=9000', '--unix-socket=/tmp/p.sock'],
        'cannot set --unix-socket and --port at the same time',
      ],
      [
        ['--token', 'a', '--token-file', '/etc/token'],
        'cannot set --token and --token-file at the same time',
      ],
    ])('refuses %j with one line naming the flag', (argv, message) => {
      expect(flagError(argv).message).toBe(message);
    });

    it.each(['--accept-paths', '--reject-paths', '--accept-hosts', '--reject-methods'])(
      'refuses a bad regular expression in %s',
      (flag) => {
        const error = flagError([flag, '^/ok,(']);
        expect(error.message).toMatch(new RegExp(`^invalid value "\\^/ok,\\(" for ${flag}: `));
        expect(error.name).toBe('FlagError');
      },
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['30s', 30000],
    ['1m', 60000],
    ['1h', 3600000],
    ['1m30s', 90000],
    ['2h45m', 9900000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['+10s', 10000],
    ['0s', 0],
    ['1500us', 2],
    ['1500µs', 2],
    ['1ns', 1],
  ])('reads the Go duration %s as %d ms', (text, ms) => {
    expect(parseDuration(text, 'keepalive')).toBe(ms);
  });

  it.each(['', '5', '1x', 's', '1m 30s', '-1s', '1.s.', 'ms5'])(
    'refuses %j, naming the flag',
    (text) => {
      expect(() => parseDuration(text, 'keepalive')).toThrow(FlagError);
      expect(() => parseDuration(text, 'keepalive')).toThrow(
        `invalid value ${JSON.stringify(text)} for --keepalive`,
      );
    },
  );
});

describe('helpText', () => {
  const help = helpText();

  it.each([
    ['--port=8001', '-p, '],
    ["--address='127.0.0.1'", ''],
    ["--unix-socket=''", '-u, '],
    ["--api-prefix='/'", ''],
    ["--www=''", '-w, '],
    ["--www-prefix='/static/'", '-P, '],
    [`--accept-paths='${DEFAULT_PATH_ACCEPT_RE}'`, ''],
    [`--reject-paths='${DEFAULT_PATH_REJECT_RE}'`, ''],
    [`--accept-hosts='${DEFAULT_HOST_ACCEPT_RE}'`, ''],
    [`--reject-methods='${DEFAULT_METHOD_REJECT_RE}'`, ''],
    ['--disable-filter=false', ''],
    ['--append-server-path=false', ''],
    ['--keepalive=0s', ''],
    ['--target', ''],
    ["--certificate-authority=''", ''],
    ["--client-certificate=''", ''],
    ["--client-key=''", ''],
    ['--insecure-skip-tls-verify=false', ''],
    ["--tls-server-name=''", ''],
    ["--token=''", ''],
    ["--token-file=''", ''],
    ["--kubeconfig=''", ''],
    ["--context=''", ''],
    ['--max-bytes-per-sec=0', ''],
    ['--quiet=false', ''],
    ['--workers=1', ''],
    ['--help=false', '-h, '],
  ])('lists %s with its short form and default', (entry, short) => {
    const lines = help.split('\n');
    const line = lines.find((l) => l.trim().startsWith(`${short}${entry}:`));
    expect(line).toBeDefined();
    // Each flag is followed by a non-empty description line.
    expect(lines[lines.indexOf(line as string) + 1].trim()).not.toBe('');
  });

  it('lists exactly the flags parseFlags accepts', () => {
    const listed = [...help.matchAll(/^ {4}(?:-\w, )?--([a-z-]+)/gm)].map((m) => m[1]);
    expect(listed).toHaveLength(Object.keys(DEFAULTS).length);
    for (const name of listed) {
      const value =
        name === 'port' || name === 'max-bytes-per-sec' || name === 'workers'
          ? '1'
          : name === 'keepalive'
            ? '1s'
            : name === 'metrics'
              ? '/metrics'
              : 'x';
      const isBoolean = /=(true|false):$/m.test(
        help.split('\n').find((l) => l.includes(`--${name}`)) ?? '',
      );
      expect(() => parseFlags(isBoolean ? [`--${name}`] : [`--${name}`, value])).not.toThrow();
    }
  });
});
