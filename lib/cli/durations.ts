/**
 * Go's duration syntax (`time.ParseDuration`), which kubectl's duration flags take: a sequence of
 * decimal numbers, each with a unit (`300ms`, `1.5h`, `2h45m`), or a bare `0`.
 */
import { invalidValue } from './flag-error.js';

/** Milliseconds per unit; Go takes the micro sign (U+00B5) and the Greek mu (U+03BC) alike. */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 36e5,
};

/**
 * Parses a Go duration (`time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `0`) into whole
 * milliseconds, rounded up so that a non-zero period stays non-zero. Negative periods are refused.
 *
 * @example parseDuration('1m30s', 'keepalive') // 90000
 */
export function parseDuration(value: string, flag: string): number {
  const rule = 'must be a non-negative duration such as 30s, 1m or 500ms';
  if (value === '0' || value === '+0') return 0;
  const body = value.startsWith('+') ? value.slice(1) : value;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(body); m; m = part.exec(body)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    end = part.lastIndex;
  }
  if (body === '' || end !== body.length) throw invalidValue(value, flag, rule);
  return Math.ceil(total);
}
