import { HeaderList } from '../../lib/util/header-list.js';

describe('HeaderList', () => {
  const sample = (): HeaderList =>
    new HeaderList([
      'Host',
      'h',
      'Accept',
      'a',
      'set-cookie',
      'x=1',
      'X-A',
      '1',
      'Set-Cookie',
      'y=2',
    ]);

  it('gets a value in any case, repeated lines joined with ", ", and every line with getAll', () => {
    const list = sample();
    expect(list.get('ACCEPT')).toBe('a');
    expect(list.get('set-cookie')).toBe('x=1, y=2');
    expect(list.getAll('Set-Cookie')).toEqual(['x=1', 'y=2']);
    expect(list.get('missing')).toBeUndefined();
    expect(list.getAll('missing')).toEqual([]);
    expect([list.has('x-a'), list.has('x-b')]).toEqual([true, false]);
  });

  it('sets a name where its first line was, removing the others; appends a new name', () => {
    const list = sample();
    list.set('SET-COOKIE', ['z=3', 'w=4']);
    list.set('x-new', 'n');
    expect(list.raw).toEqual([
      'Host',
      'h',
      'Accept',
      'a',
      'SET-COOKIE',
      'z=3',
      'SET-COOKIE',
      'w=4',
      'X-A',
      '1',
      'x-new',
      'n',
    ]);
  });

  it('appends a line, deletes every line of a name, and iterates in wire order', () => {
    const list = sample();
    list.append('Accept', 'b');
    list.delete('SET-cookie');
    expect([...list]).toEqual([
      ['Host', 'h'],
      ['Accept', 'a'],
      ['X-A', '1'],
      ['Accept', 'b'],
    ]);
  });

  it.each([
    ['a value with CRLF', () => sample().set('x', 'a\r\nInjected: 1')],
    ['a value with LF through append', () => sample().append('x', 'a\nb')],
    ['a name with a space', () => sample().set('bad name', 'v')],
    ['an empty name', () => sample().append('', 'v')],
  ])('refuses %s, leaving the list as it was', (_what, change) => {
    // Node's own TypeError, from another realm than the test's: matched by its message
    expect(change).toThrow(/header|HTTP token/i);
  });

  it('keeps the list unchanged when a set is refused', () => {
    const list = sample();
    expect(() => list.set('accept', ['ok', 'bad\r\n'])).toThrow(/header/i);
    expect(list.get('accept')).toBe('a');
  });
});
