// Bodies for the streaming tests of every transport kind: large bodies made of one deterministic block
// and checked by hash, a writer that shows when backpressure stalls it, a compression-like
// buffering layer, and server-sent events read in lockstep with their backend.
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { waitFor } from './wait.js';

export const MB = 1024 * 1024;

/** A deterministic, non-repeating-looking 64 KiB block; bodies are made of it. */
export const BLOCK = Buffer.from(
  createHash('sha512')
    .update('seed')
    .digest('hex')
    .repeat(512)
    .slice(0, 64 * 1024),
);

export function sha256(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** sha256 of `count` blocks, computed the same way the servers stream them. */
export function hashOfBlocks(count: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i < count; i++) hash.update(BLOCK);
  return hash.digest('hex');
}

/** How far {@link writeBlocks} got, and whether it is waiting for 'drain'. */
export interface Progress {
  written: number;
  waiting: boolean;
}

/** Writes `count` blocks to `out`, waiting for 'drain' whenever it asks to; tracks progress. */
export function writeBlocks(
  out: NodeJS.WritableStream,
  count: number,
  progress: Progress = { written: 0, waiting: false },
): Promise<void> {
  return new Promise((resolve, reject) => {
    out.on('error', reject);
    const next = (): void => {
      progress.waiting = false;
      while (progress.written < count) {
        progress.written++;
        if (!out.write(BLOCK)) {
          progress.waiting = true;
          out.once('drain', next);
          return;
        }
      }
      resolve();
    };
    next();
  });
}

/**
 * Resolves once the writer has been stuck on 'drain' at the same count for a few polls in a row.
 * With backpressure this state is reached and stays; the polls only decide when to look.
 */
export async function waitForStall(progress: Progress): Promise<void> {
  let last = -1;
  let steady = 0;
  await waitFor(() => {
    steady = progress.waiting && progress.written === last ? steady + 1 : 0;
    last = progress.written;
    return steady >= 4;
  }, 'the writer to stall on backpressure');
}

/** Reads a whole stream into a hash and a byte count. */
export async function digest(
  stream: AsyncIterable<Buffer> | http.IncomingMessage,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * A compression-like layer: it holds everything written until `res.flush()` (or the end), as
 * compression's gzip stream does, and counts flushes.
 */
export function bufferingLayer(counter: { flushes: number }) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const write = res.write.bind(res) as (chunk: Buffer) => boolean;
    const end = res.end.bind(res) as () => Response;
    let held: Buffer[] = [];
    const release = (): void => {
      if (held.length > 0) write(Buffer.concat(held));
      held = [];
    };
    res.write = ((chunk: string | Buffer) => {
      held.push(Buffer.from(chunk));
      return true;
    }) as Response['write'];
    res.end = ((chunk?: string | Buffer) => {
      if (chunk !== undefined && typeof chunk !== 'function') held.push(Buffer.from(chunk));
      release();
      return end();
    }) as Response['end'];
    (res as Response & { flush(): void }).flush = () => {
      counter.flushes++;
      release();
    };
    next();
  };
}

/**
 * A backend handler that writes one event, then the next only once the client has acknowledged
 * the previous one, and keeps the stream open: events held back anywhere would make it wait forever.
 */
export function lockstep(
  contentType: string,
  count: number,
): { handler: http.RequestListener; ack(): void } {
  let acks = 0;
  let wake: (() => void) | undefined;
  return {
    async handler(_req, res) {
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache' });
      for (let i = 1; i <= count; i++) {
        res.write(`data: event ${i}\n\n`);
        if (acks < i) await new Promise<void>((resolve) => (wake = resolve));
      }
      // the stream stays open: the test ends it by closing
    },
    ack() {
      acks++;
      wake?.();
    },
  };
}

/** Reads `count` events from `url`, acknowledging each as it arrives; `onEvent` sees the count so far. */
export async function readInLockstep(
  url: string,
  ack: () => void,
  count: number,
  onEvent: (n: number) => void = () => {},
): Promise<string[]> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(url, { agent: false }, resolve).on('error', reject),
  );
  res.setEncoding('utf8');
  const events: string[] = [];
  let buffered = '';
  for await (const chunk of res as AsyncIterable<string>) {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      events.push(buffered.slice(0, end));
      buffered = buffered.slice(end + 2);
      onEvent(events.length);
      ack();
    }
    if (events.length === count) break;
  }
  res.destroy();
  return events;
}
