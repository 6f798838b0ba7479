import http from 'node:http';

/** How a client's response ended: cleanly, or cut off (error, abort, close before the end). */
export interface Outcome {
  status: number | undefined;
  bytes: number;
  ending: 'complete' | 'response-error' | 'truncated' | 'request-error';
}

/** A GET that reports how the response ended instead of rejecting on a cut-off response. */
export function fetchOutcome(url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const req = http.request(url, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        settle({ status: res.statusCode, bytes, ending: res.complete ? 'complete' : 'truncated' }),
      );
      res.on('error', () => settle({ status: res.statusCode, bytes, ending: 'response-error' }));
      res.on('close', () =>
        settle({ status: res.statusCode, bytes, ending: res.complete ? 'complete' : 'truncated' }),
      );
    });
    req.on('error', () => settle({ status: undefined, bytes: 0, ending: 'request-error' }));
    req.end();
  });
}
