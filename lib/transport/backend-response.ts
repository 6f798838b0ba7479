import type { Readable } from 'node:stream';

/** The backend's answer as the response stages see it, before anything reaches the client. */
export interface BackendResponse {
  status: number;
  statusMessage: string;
  /** Lower-case names; every value of a repeated header kept. */
  headers: Map<string, string[]>;
  body: Readable;
  /** Raw trailers `[name, value, ...]`, read once the body has ended. */
  trailers(): string[];
}
