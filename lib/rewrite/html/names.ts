/**
 * Lower-case ASCII names found straight from bytes, in any case, without making a string: most
 * tags are looked up and not found, and a string per tag was a fifth of the scan. Each name maps
 * to a value (a NameSet's are the names themselves).
 */
export class NameMap<T> {
  /** By length, then by first letter: the names and their values. */
  private readonly buckets: (readonly [string, T])[][][] = [];

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const entry of entries) {
      const name = entry[0];
      const byFirst = (this.buckets[name.length] ??= []);
      (byFirst[name.charCodeAt(0)] ??= []).push(entry);
    }
  }

  /** The value of the name at `bytes[start, end)` if it is here, else undefined. */
  find(bytes: Buffer, start: number, end: number): T | undefined {
    const candidates = this.buckets[end - start]?.[bytes[start]! | 0x20];
    if (candidates === undefined) return undefined;
    for (let k = 0; k < candidates.length; k++) {
      const entry = candidates[k]!;
      if (sameName(bytes, start, entry[0])) return entry[1];
    }
    return undefined;
  }
}

/** A {@link NameMap} of names to themselves. */
export type NameSet = NameMap<string>;

export function nameSet(names: Iterable<string>): NameSet {
  return new NameMap(Array.from(names, (name) => [name, name] as const));
}

/** Whether `bytes` at `start` hold `name` (lower-case letters and `-`) in any case. */
function sameName(bytes: Buffer, start: number, name: string): boolean {
  for (let k = 1; k < name.length; k++)
    if ((bytes[start + k]! | 0x20) !== name.charCodeAt(k)) return false;
  return true;
}
