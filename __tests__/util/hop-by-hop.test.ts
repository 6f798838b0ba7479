import { hopByHop, isUpgradeRequest } from '../../lib/util/hop-by-hop.js';

const FIXED = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

describe('hopByHop', () => {
  it('is the fixed RFC list without a Connection header', () => {
    expect([...hopByHop(undefined)].sort()).toEqual([...FIXED].sort());
  });

  it('adds every name listed in any Connection line, lower-cased', () => {
    const names = hopByHop(['keep-alive, X-Private', 'X-Other ,,  x-third ']);
    for (const name of [...FIXED, 'x-private', 'x-other', 'x-third'])
      expect(names.has(name)).toBe(true);
    expect(names.size).toBe(FIXED.length + 3);
  });

  it('ignores empty tokens and names already in the list', () => {
    expect([...hopByHop(['', ' , ', 'Upgrade, TE'])].sort()).toEqual([...FIXED].sort());
  });

  it.each([['close'], ['Close '], ['keep-alive'], ['KEEP-ALIVE'], ['X-Private'], ['']])(
    'gives for one line %j the names that line gives beside another',
    (line) => {
      expect([...hopByHop([line])].sort()).toEqual([...hopByHop([line, 'te'])].sort());
    },
  );

  it('makes a Connection: close answer drop a header named close', () => {
    expect(hopByHop(['close']).has('close')).toBe(true);
    expect(hopByHop(['keep-alive']).has('close')).toBe(false);
  });

  it('never adds to the shared fixed list', () => {
    hopByHop(['x-private']);
    expect(hopByHop(undefined).has('x-private')).toBe(false);
    expect(hopByHop([]).has('x-private')).toBe(false);
  });
});

describe('isUpgradeRequest', () => {
  it.each([
    ['Upgrade', true],
    ['upgrade', true],
    ['UPGRADE', true],
    ['keep-alive, Upgrade', true],
    ['x-upgraded', true],
    ['close', false],
    ['', false],
    [undefined, false],
    [['keep-alive', 'upgrade'], true],
    [['close', 'keep-alive'], false],
    [[], false],
  ])('reads Connection %j as %p', (connection, expected) => {
    expect(isUpgradeRequest(connection)).toBe(expected);
  });
});
