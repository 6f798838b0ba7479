// When responseHeaderTimeout starts, over every transport kind: once the request is fully written
// (Go's ResponseHeaderTimeout), so neither a client still uploading nor a backend slow to read the
// upload is cut, and a head that came before the end of the upload stops the clock for good.
import http from 'node:http';
import { once } from 'node:events';
import { TRANSPORT_KINDS, through } from '../helpers/transports.js';
import { waitFor } from '../helpers/wait.js';

describe.each(TRANSPORT_KINDS)(
  'upgradeAware over $name: responseHeaderTimeout counts from the end of the upload',
  (kind) => {
    /**
     * The head clock, and how long the upload is held up: long enough that a clock running during the
     * hold would fire (it is a plain timer of the proxy's own on every kind), while the clock itself
     * leaves a loaded machine ample time to drain the socket buffers once the backend reads.
     */
    const TIMEOUT = 600;
    const LONG = 1_800;

    /** A proxy with responseHeaderTimeout {@link TIMEOUT} in front of a backend that reads the request body only when told. */
    async function slowReader() {
      let read: (() => void) | undefined;
      const opened = await through(
        kind,
        (req, res) => {
          read = () => {
            const chunks: Buffer[] = [];
            req.on('data', (chunk: Buffer) => chunks.push(chunk));
            req.on('end', () => res.end(`got ${Buffer.concat(chunks).length}`));
          };
        },
        { responseHeaderTimeout: TIMEOUT },
      );
      return { ...opened, read: () => read!(), arrived: () => read !== undefined };
    }

    it('does not time out while the client is still sending', async () => {
      const { proxy, read, arrived, close } = await slowReader();
      try {
        const client = http.request(`${proxy.url}/`, {
          method: 'POST',
          agent: false,
          headers: { 'Transfer-Encoding': 'chunked' },
        });
        const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
        client.write('first|');
        await waitFor(arrived, 'the backend to get the request');
        read();
        await new Promise((resolve) => setTimeout(resolve, LONG));
        client.end('last');
        const [res] = await responded;
        res.resume();
        expect(res.statusCode).toBe(200);
      } finally {
        await close();
      }
    });

    it('does not time out while the backend is slow to read a large upload', async () => {
      const { proxy, read, arrived, close } = await slowReader();
      try {
        const body = Buffer.alloc(16 * 1024 * 1024, 'u');
        const client = http.request(`${proxy.url}/`, {
          method: 'POST',
          agent: false,
          headers: { 'Content-Length': String(body.length) },
        });
        client.on('error', () => {}); // a cut upload shows as the status below
        const responded = once(client, 'response') as Promise<[http.IncomingMessage]>;
        client.end(body);
        await waitFor(arrived, 'the backend to get the request');
        // The upload is stuck on the backend's full buffers; the head clock has not started yet.
        await new Promise((resolve) => setTimeout(resolve, LONG));
        read();
        const [res] = await responded;
        const chunks: Buffer[] = [];
        for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
        expect([res.statusCode, Buffer.concat(chunks).toString()]).toEqual([
          200,
          `got ${body.length}`,
        ]);
      } finally {
        await close();
      }
    });

    it('does not cut a response whose head came before the upload finished', async () => {
      // The backend answers the head at once, reads the whole upload, then keeps streaming well past
      // responseHeaderTimeout: the timeout is for the head only, so nothing may stop this response.
      let finish: () => void = () => {};
      const { proxy, close } = await through(
        kind,
        (req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('head-first|');
          req.resume();
          req.on('end', () => {
            res.write('upload-done|');
            finish = () => res.end('last');
          });
        },
        { responseHeaderTimeout: 50 },
      );
      try {
        const client = http.request(`${proxy.url}/`, {
          method: 'POST',
          agent: false,
          headers: { 'Transfer-Encoding': 'chunked' },
        });
        client.write('part');
        const [res] = (await once(client, 'response')) as [http.IncomingMessage];
        let text = '';
        let ending: 'end' | 'cut' | undefined;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => (ending = 'end'));
        res.on('error', () => (ending = 'cut'));
        res.on('close', () => (ending ??= 'cut'));
        client.end('rest');
        await waitFor(
          () => text.includes('upload-done|') || ending !== undefined,
          'the backend to read the upload',
        );
        // Several timeouts' worth of a live response; a stray head timer would have fired by now.
        await new Promise((resolve) => setTimeout(resolve, 500));
        finish();
        await waitFor(() => ending !== undefined, 'the response to end');
        expect(ending).toBe('end');
        expect(text).toBe('head-first|upload-done|last');
      } finally {
        await close();
      }
    });
  },
);
