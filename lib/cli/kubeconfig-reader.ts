/**
 * Reading one kubeconfig file: its files, its YAML and its fields, each failure a
 * {@link KubeconfigError} naming the file and the item at fault. What the fields mean is
 * kubeconfig.ts's.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

/** A kubeconfig that cannot be used; the one-line message names the file and the item at fault. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
  /** The kubeconfig file, as given. */
  readonly file: string;

  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(`kubeconfig ${file}: ${detail}`, options);
    this.file = file;
  }
}

export type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The reading of one kubeconfig file: every failure is a KubeconfigError naming that file. */
export class Reader {
  private readonly dir: string;

  constructor(private readonly file: string) {
    this.dir = dirname(resolve(file));
  }

  fail(detail: string, cause?: unknown): never {
    throw new KubeconfigError(this.file, detail, cause === undefined ? undefined : { cause });
  }

  /** Reads a file; a relative path is relative to the kubeconfig's directory. */
  async read(path: string, what: string): Promise<Buffer> {
    try {
      return await readFile(resolve(this.dir, path));
    } catch (err) {
      this.fail(`cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
    }
  }

  /** The YAML document, read as YAML 1.1 like Go's yaml.v2 (`yes` is true). */
  parse(text: Buffer): Mapping {
    let doc: unknown;
    try {
      doc = parse(text.toString('utf8'), { version: '1.1' });
    } catch (err) {
      this.fail(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, err);
    }
    if (doc == null) this.fail('the file is empty');
    if (!isMapping(doc)) this.fail('invalid YAML: the top level is not a mapping');
    return doc;
  }

  /** An optional string field; empty when absent. */
  str(map: Mapping, key: string, where: string): string {
    const value = map[key];
    if (value == null) return '';
    if (typeof value !== 'string') this.fail(`${where}: ${key} must be a string`);
    return value;
  }

  /** The body of the named entry of a list such as `contexts`, whose items are `{ name, context }`. */
  entry(doc: Mapping, list: string, field: string, name: string): Mapping {
    const items = doc[list] ?? [];
    if (!Array.isArray(items)) this.fail(`${list} must be a list`);
    const found = items.filter((item) => isMapping(item) && item.name === name);
    if (found.length === 0) this.fail(`${field} "${name}" not found`);
    if (found.length > 1) this.fail(`${field} "${name}" is defined more than once`);
    const body = (found[0] as Mapping)[field] ?? {};
    if (!isMapping(body)) this.fail(`${field} "${name}": ${field} must be a mapping`);
    return body;
  }

  /** `<base>-data` (base64) if set, else the file named by `<base>`; undefined when neither is. */
  async material(map: Mapping, base: string, where: string): Promise<Buffer | undefined> {
    const data = this.str(map, `${base}-data`, where).replace(/\s+/g, '');
    if (data) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 === 1) {
        this.fail(`${where}: ${base}-data is not valid base64`);
      }
      return Buffer.from(data, 'base64');
    }
    const file = this.str(map, base, where);
    return file ? this.read(file, `${where} ${base} ${file}`) : undefined;
  }

  /** Fails on the first of `list`'s keys set in `map`, with its message. */
  rejectUnsupported(map: Mapping, where: string, list: ReadonlyArray<[string, string]>): void {
    for (const [key, message] of list) {
      const value = map[key];
      if (value != null && value !== '') this.fail(`${where}: ${message}`);
    }
  }
}
