// Readers of the options that are one value each; every message names the option and the rule.
import { parseLocation } from '../util/location.js';
import { defaultResponder, toResponder } from '../errors/responder.js';
import type { ResolvedOptions } from '../options.js';
import type { UpgradeAwareOptions } from '../types.js';
import type { ErrorResponder } from '../types/responder.js';

/** A boolean option; absent is false. */
export function readFlag(options: UpgradeAwareOptions, name: keyof UpgradeAwareOptions): boolean {
  const value = options[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`option \`${name}\` must be a boolean`);
  return value;
}

/** An integer option, at least `min`; absent gives `fallback`. `rule` is the message's wording. */
export function readInteger(
  options: UpgradeAwareOptions,
  name: keyof UpgradeAwareOptions,
  fallback: number,
  min: number,
  rule: string,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`option \`${name}\` must be a number`);
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`option \`${name}\` must be ${rule}`);
  return value;
}

/** An optional function-valued option. */
export function readFunction<T>(value: unknown, name: string): T | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`option \`${name}\` must be a function`);
  return value as T | undefined;
}

/** `location`: fixed (parsed now) or a function (called per request). */
export function readLocation(
  options: UpgradeAwareOptions,
): Pick<ResolvedOptions, 'location' | 'locate'> {
  if (options.location === undefined) throw new TypeError('option `location` is required');
  if (typeof options.location === 'function')
    return { location: undefined, locate: options.location };
  return { location: parseLocation(options.location), locate: undefined };
}

/** `responder`: a function or an object with an `error` method, made one responder; absent gives the default. */
export function readResponder(value: unknown): ErrorResponder {
  if (value === undefined) return defaultResponder;
  if (typeof value === 'function') return toResponder(value as Parameters<typeof toResponder>[0]);
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorResponder).error === 'function'
  ) {
    return toResponder(value as ErrorResponder);
  }
  throw new TypeError(
    'option `responder` must be a function or an object with an `error(err, req, res)` method',
  );
}
