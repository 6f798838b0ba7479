/** `[name, value, name, value]` (Node's rawHeaders/rawTrailers) as `[name, value]` pairs. */
export function toPairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}
