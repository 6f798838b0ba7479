import type { Readable } from 'node:stream';
import { addHeader } from '../util/header-check.js';

/**
 * A response body. `complete` is true once the whole body has arrived and waits in the stream's
 * buffer (Node's `IncomingMessage` sets it, and so does the undici transport's body): the relay
 * then sends it with the head in one write. A stream without it (a rewritten body, a body made
 * by a stage) counts as still arriving. `takeWhole`, where given, hands such a body over without
 * reading it through the stream (transport/undici-body.ts): null when empty, undefined when not
 * whole. `sinkTo`, where given, does the same for a body still arriving (see {@link BodySink}):
 * false when the stream is already in use.
 */
export type BackendBody = Readable & {
  readonly complete?: boolean;
  takeWhole?(): Buffer | null | undefined;
  sinkTo?(sink: BodySink): boolean;
};

/**
 * Where `sinkTo`, where given, sends a body past the stream (transport/undici-body.ts): each chunk
 * to `write`, whose false tells the body to pause the backend (how soon is the body's to decide)
 * until the stream's `resume()`, then the end to `end`.
 */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
}

/** The backend's answer as the response stages see it, before anything reaches the client. */
export interface BackendResponse {
  status: number;
  /** The reason phrase as the backend sent it; the relay drops one Node would refuse. */
  statusMessage: string;
  /** Lower-case names; every value of a repeated header kept; lines Node would refuse already dropped. */
  headers: Map<string, string[]>;
  body: BackendBody;
  /** Raw trailers `[name, value, ...]`, lines Node would refuse dropped; read once the body has ended. */
  trailers(): string[];
}

function latin1(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

/**
 * A raw `[name, value, ...]` head (Node's strings or undici's buffers) as the map by lower-case
 * name that {@link BackendResponse} carries. Both parsers pass lines Node's writers refuse
 * (undici: `X-T ` with a trailing space, an empty name): dropped here, once for both transports.
 */
export function headerMap(raw: readonly (string | Buffer)[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) addHeader(headers, latin1(raw[i]!), latin1(raw[i + 1]!));
  return headers;
}
