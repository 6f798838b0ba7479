import type { Readable } from 'node:stream';
import { addHeader } from '../util/header-check.js';

/**
 * A response body. `complete` is true once the whole body has arrived and waits in the stream's
 * buffer (Node's `IncomingMessage` sets it, and so does the undici transport's body): the relay
 * then sends it with the head in one write. A stream without it (a rewritten body, a body made
 * by a stage) counts as still arriving.
 */
export type BackendBody = Readable & { readonly complete?: boolean };

/**
 * A body the relay can take without a stream (the undici transport's, transport/undici-body.ts),
 * while nobody has asked for it as one: whole once it has all arrived (`takeWhole`: null when
 * empty, undefined when not whole), or chunk by chunk into a {@link BodySink} (`sinkTo`: false,
 * and nothing taken, when it cannot). `resume()` is the sink asking for more after a refusal;
 * `destroy()` gives the body up, which stops the backend's answer unless it had ended.
 */
export interface BodySource {
  readonly complete: boolean;
  takeWhole(): Buffer | null | undefined;
  sinkTo(sink: BodySink): boolean;
  resume(): void;
  destroy(err?: Error): void;
}

/**
 * Where a {@link BodySource} sends its chunks: each to `write`, whose false tells the source to
 * pause the backend (how soon is the source's to decide) until its `resume()`; then the end to
 * `end`, or the backend's failure to `fail`.
 */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
  fail(err: Error): void;
}

/** The backend's answer as the response stages see it, before anything reaches the client. */
export interface BackendResponse {
  status: number;
  /** The reason phrase as the backend sent it; the relay drops one Node would refuse. */
  statusMessage: string;
  /** Lower-case names; every value of a repeated header kept; lines Node would refuse already dropped. */
  headers: Map<string, string[]>;
  body: BackendBody;
  /**
   * The body as a {@link BodySource}, where the transport has one and nobody has yet read `body`
   * or replaced it; undefined otherwise. The relay takes it so, without a stream.
   */
  source?(): BodySource | undefined;
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
