import { workerLine } from '../../lib/cli/worker.js';

describe('workerLine', () => {
  it('ends the line with the worker field', () => {
    const line = '2026-11-25T22:45:47.123Z 127.0.0.1 GET /api 200 in=312 out=1234 3.2ms\n';
    expect(workerLine(line, 4242)).toBe(
      '2026-11-25T22:45:47.123Z 127.0.0.1 GET /api 200 in=312 out=1234 3.2ms worker=4242\n',
    );
    expect(workerLine('Error while proxying request: boom', 7)).toBe(
      'Error while proxying request: boom worker=7\n',
    );
  });

  // Writes of up to 4096 bytes (PIPE_BUF) reach a shared pipe whole, so no piece of one worker's
  // line (whose path the client chose) can start a line between another's.
  it.each([
    ['ASCII', 'a'],
    ['3-byte UTF-8', '\u20ac'],
    ['4-byte UTF-8', '\u{1F600}'],
  ])('keeps a line with a 1 MiB %s path under 4096 bytes, both ends kept', (_kind, unit) => {
    const path = `/${unit.repeat((1 << 20) / unit.length)}`;
    const line = `2026-11-25T22:45:47.123Z 127.0.0.1 GET ${path} 200 in=1048700 out=158 9.9ms\n`;
    const out = workerLine(line, 4194304);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(4096);
    expect(out.startsWith('2026-11-25T22:45:47.123Z 127.0.0.1 GET /')).toBe(true);
    expect(out.endsWith(' 200 in=1048700 out=158 9.9ms worker=4194304\n')).toBe(true);
    expect(out).toContain('...');
    expect(out.indexOf('\n')).toBe(out.length - 1);
  });

  it('leaves a line that fits alone', () => {
    const line = `x${'a'.repeat(3900)}\n`;
    expect(workerLine(line, 1)).toBe(`x${'a'.repeat(3900)} worker=1\n`);
  });
});
