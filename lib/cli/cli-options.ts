/**
 * What the command line resolves to: every option of `upgrade-aware-proxy`, and its value when its
 * flag is absent (kubectl proxy's, kubectl `pkg/cmd/proxy/proxy.go`, for the flags we share;
 * docs/cli.md, "Flags").
 */
import {
  DEFAULT_HOST_ACCEPT_RE,
  DEFAULT_METHOD_REJECT_RE,
  DEFAULT_PATH_ACCEPT_RE,
  DEFAULT_PATH_REJECT_RE,
} from './filter.js';

/** Everything the command line sets, with defaults applied and values validated. */
export interface CliOptions {
  port: number;
  address: string;
  unixSocket: string;
  apiPrefix: string;
  www: string;
  wwwPrefix: string;
  acceptPaths: string;
  rejectPaths: string;
  acceptHosts: string;
  rejectMethods: string;
  disableFilter: boolean;
  appendServerPath: boolean;
  /** Dial keep-alive period in milliseconds (rounded up); 0 leaves the system default. */
  keepalive: number;
  /** The backend; `undefined` when not given (the kubeconfig or the caller decides). */
  target: string | undefined;
  certificateAuthority: string;
  clientCertificate: string;
  clientKey: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName: string;
  token: string;
  tokenFile: string;
  kubeconfig: string;
  context: string;
  maxBytesPerSec: number;
  /** `--metrics PATH`: the path the metrics are served on; '' for none. */
  metrics: string;
  quiet: boolean;
  /** Worker processes sharing the listening socket; 1 is no cluster at all. */
  workers: number;
  help: boolean;
}

/** The value of every option when its flag is absent (kubectl proxy's, for the shared ones). */
export const DEFAULTS: Readonly<CliOptions> = Object.freeze({
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
