import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { ProxyHeaders } from '../types/stages.js';

/** `name` (any case) equals `lower` (lower case). */
function sameName(name: string, lower: string): boolean {
  return name.length === lower.length && (name === lower || name.toLowerCase() === lower);
}

function checked(name: string, value: string): string {
  validateHeaderName(name);
  validateHeaderValue(name, value);
  return value;
}

/**
 * Header lines as one flat `[name, value, ...]` list in wire order: what the transports send and
 * what a user's stage sees as {@link ProxyHeaders}. The proxy's own code fills `raw` directly;
 * values set through the methods are checked as Node checks them, so a stage cannot break the
 * framing of the request or the response with a line break.
 */
export class HeaderList implements ProxyHeaders {
  /** The lines, `[name, value, ...]`; the proxy's own stages replace the array whole. */
  raw: string[];

  constructor(raw: string[] = []) {
    this.raw = raw;
  }

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    const { raw } = this;
    let out: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      if (sameName(raw[i]!, lower))
        out = out === undefined ? raw[i + 1]! : `${out}, ${raw[i + 1]!}`;
    }
    return out;
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const { raw } = this;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (sameName(raw[i]!, lower)) out.push(raw[i + 1]!);
    return out;
  }

  has(name: string): boolean {
    const lower = name.toLowerCase();
    const { raw } = this;
    for (let i = 0; i < raw.length; i += 2) if (sameName(raw[i]!, lower)) return true;
    return false;
  }

  set(name: string, value: string | readonly string[]): void {
    const lines: string[] = [];
    for (const one of typeof value === 'string' ? [value] : value)
      lines.push(name, checked(name, String(one)));
    const lower = name.toLowerCase();
    const { raw } = this;
    let at = -1;
    for (let i = raw.length - 2; i >= 0; i -= 2) {
      if (sameName(raw[i]!, lower)) {
        raw.splice(i, 2);
        at = i;
      }
    }
    if (at === -1) raw.push(...lines);
    else raw.splice(at, 0, ...lines);
  }

  append(name: string, value: string): void {
    this.raw.push(name, checked(name, String(value)));
  }

  delete(name: string): void {
    const lower = name.toLowerCase();
    const { raw } = this;
    for (let i = raw.length - 2; i >= 0; i -= 2) if (sameName(raw[i]!, lower)) raw.splice(i, 2);
  }

  *[Symbol.iterator](): Iterator<[string, string]> {
    const { raw } = this;
    for (let i = 0; i < raw.length; i += 2) yield [raw[i]!, raw[i + 1]!];
  }
}
