// Clients for the demo's event stream and WebSocket echo, as the tests use them.
import http from 'node:http';
import { once } from 'node:events';
import type WebSocket from 'ws';

/** One server-sent event. */
export interface ServerEvent {
  id: string;
  data: string;
}

/** An open event stream: its response, and the events read so far. */
export interface EventStream {
  res: http.IncomingMessage;
  events: ServerEvent[];
  /** Resolves once `count` events have arrived. */
  next(count: number): Promise<ServerEvent[]>;
  close(): void;
}

/** Parses the complete events in `text` (fields `id:` and `data:`, events ended by a blank line). */
export function parseEvents(text: string): ServerEvent[] {
  return text
    .split('\n\n')
    .slice(0, -1)
    .map((block) => {
      const fields = Object.fromEntries(
        block
          .split('\n')
          .map((line) => [
            line.slice(0, line.indexOf(':')),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
      );
      return { id: fields.id ?? '', data: fields.data ?? '' };
    });
}

/** Opens `url` as an event stream (with `headers`) and reads events as they arrive. */
export async function openEvents(
  url: string,
  headers: http.OutgoingHttpHeaders = {},
): Promise<EventStream> {
  const req = http.get(url, { agent: false, headers: { Accept: 'text/event-stream', ...headers } });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let text = '';
  const stream: EventStream = {
    res,
    events: [],
    next: (count) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (stream.events.length >= count) resolve(stream.events.slice(0, count));
        };
        res.on('data', check);
        res.once('close', () =>
          reject(new Error(`the stream ended after ${stream.events.length} events`)),
        );
        check();
      }),
    close: () => req.destroy(),
  };
  // A stream the demo cuts on shutdown ends as "aborted": the tests look at 'close' instead.
  res.on('error', () => {});
  res.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    stream.events = parseEvents(text);
  });
  return stream;
}

/** Sends `data` and resolves with the next message and whether it was binary. */
export async function roundTrip(
  ws: WebSocket,
  data: string | Buffer,
): Promise<{ data: Buffer; isBinary: boolean }> {
  const reply = once(ws, 'message') as Promise<[Buffer, boolean]>;
  ws.send(data);
  const [message, isBinary] = await reply;
  return { data: message, isBinary };
}
