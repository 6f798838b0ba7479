import { headerMap } from '../../lib/transport/backend-response.js';

describe('headerMap', () => {
  const raw = [
    'Content-Type',
    'text/plain',
    'Set-Cookie',
    'a=1',
    'set-cookie',
    'b=2',
    'X-T ',
    'bad name',
    '',
    'empty name',
    'X-Ok',
    'v\u00e9',
  ];
  const expected = new Map([
    ['content-type', ['text/plain']],
    ['set-cookie', ['a=1', 'b=2']],
    ['x-ok', ['v\u00e9']],
  ]);

  it("builds the map from Node's raw strings: lower-case names, repeated values kept, lines Node refuses dropped", () => {
    expect(headerMap(raw)).toEqual(expected);
  });

  it("builds the same map from undici's raw buffers, read as latin1", () => {
    expect(headerMap(raw.map((text) => Buffer.from(text, 'latin1')))).toEqual(expected);
  });
});
