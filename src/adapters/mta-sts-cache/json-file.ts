// A persistent MTA-STS policy cache in one JSON file (RFC 8461 §5: a sender keeps policies across restarts,
// or an attacker could strip them by waiting for one). Writes go to a temporary file that is fsync'd and
// renamed over the old one, so a crash leaves the old or the new file, never half of one. Entries that do
// not look like cached policies are dropped on load; an unreadable file starts an empty cache.

import { open, readFile, rename, unlink } from 'node:fs/promises';
import { parseMtaStsPolicy } from '../../transport/mta-sts/policy.js';
import { DEFAULT_CACHE_ENTRIES } from '../../transport/mta-sts/cache.js';
import type { CachedMtaStsPolicy, MtaStsListableCache, MtaStsPolicy } from '../../transport/mta-sts/types.js';

/** Bumped when the file layout changes; files of another version are ignored (and rewritten). */
export const CACHE_FILE_VERSION = 1;

interface CacheFile {
  version: number;
  entries: CachedMtaStsPolicy[];
}

export interface JsonFileCacheOptions {
  maxEntries?: number;
  /** Told why a file could not be used (it is then replaced on the next write). */
  onLoadProblem?: (detail: string) => void;
}

export class JsonFileMtaStsCache implements MtaStsListableCache {
  private entries: Map<string, CachedMtaStsPolicy> | undefined;
  private loading: Promise<Map<string, CachedMtaStsPolicy>> | undefined;
  /** Writes run one after another, in call order. */
  private writing: Promise<void> = Promise.resolve();
  private writes = 0;
  private readonly maxEntries: number;

  constructor(
    readonly path: string,
    private readonly options: JsonFileCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    if (!(Number.isInteger(this.maxEntries) && this.maxEntries > 0)) throw new RangeError('JsonFileMtaStsCache: maxEntries must be a positive integer');
  }

  async get(domain: string): Promise<CachedMtaStsPolicy | undefined> {
    const entries = await this.load();
    const key = domain.toLowerCase();
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    // Recency for eviction lives in memory only: a read is not worth a disk write.
    entries.delete(key);
    entries.set(key, entry);
    return structuredClone(entry);
  }

  async set(entry: CachedMtaStsPolicy): Promise<void> {
    const entries = await this.load();
    const key = entry.domain.toLowerCase();
    entries.delete(key);
    entries.set(key, structuredClone({ ...entry, domain: key }));
    while (entries.size > this.maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
    await this.save(entries);
  }

  async delete(domain: string): Promise<void> {
    const entries = await this.load();
    if (entries.delete(domain.toLowerCase())) await this.save(entries);
  }

  async domains(): Promise<string[]> {
    return [...(await this.load()).keys()];
  }

  private load(): Promise<Map<string, CachedMtaStsPolicy>> {
    if (this.entries !== undefined) return Promise.resolve(this.entries);
    this.loading ??= this.readFile().then((entries) => {
      this.entries = entries;
      return entries;
    });
    return this.loading;
  }

  private async readFile(): Promise<Map<string, CachedMtaStsPolicy>> {
    const entries = new Map<string, CachedMtaStsPolicy>();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.options.onLoadProblem?.(`cannot read ${this.path}: ${String(err)}`);
      return entries;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      this.options.onLoadProblem?.(`${this.path} is not JSON`);
      return entries;
    }
    const file = data as Partial<CacheFile>;
    if (typeof file !== 'object' || file === null || file.version !== CACHE_FILE_VERSION || !Array.isArray(file.entries)) {
      this.options.onLoadProblem?.(`${this.path} is not a version ${CACHE_FILE_VERSION} MTA-STS cache`);
      return entries;
    }
    for (const item of file.entries) {
      const entry = checkEntry(item);
      if (entry !== undefined) entries.set(entry.domain, entry);
    }
    return entries;
  }

  private save(entries: Map<string, CachedMtaStsPolicy>): Promise<void> {
    const file: CacheFile = { version: CACHE_FILE_VERSION, entries: [...entries.values()] };
    const text = `${JSON.stringify(file, null, 1)}\n`;
    const next = this.writing.then(() => this.writeAtomically(text));
    // Later writes wait for this one whatever its outcome; the caller of this write sees its error.
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeAtomically(text: string): Promise<void> {
    const temporary = `${this.path}.tmp-${process.pid}-${++this.writes}`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (err) {
      await unlink(temporary).catch(() => undefined);
      throw err;
    }
  }
}

/** A cache entry read from disk, checked field by field: the policy is re-validated through the parser. */
function checkEntry(item: unknown): CachedMtaStsPolicy | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const e = item as Record<string, unknown>;
  if (typeof e.domain !== 'string' || typeof e.id !== 'string' || !Number.isFinite(e.fetchedAt) || !Number.isFinite(e.expiresAt)) return undefined;
  const p = e.policy as Partial<MtaStsPolicy> | undefined;
  if (typeof p !== 'object' || p === null || !Array.isArray(p.mx)) return undefined;
  const text = [`version: ${String(p.version)}`, `mode: ${String(p.mode)}`, ...p.mx.map((m) => `mx: ${String(m)}`), `max_age: ${String(p.maxAge)}`].join('\n');
  const parsed = parseMtaStsPolicy(text);
  if (!parsed.ok) return undefined;
  const extensions = Array.isArray(p.extensions)
    ? p.extensions.filter((x): x is { name: string; value: string } => typeof x?.name === 'string' && typeof x?.value === 'string')
    : [];
  return {
    domain: e.domain.toLowerCase(),
    id: e.id,
    policy: { ...parsed.value, extensions },
    fetchedAt: e.fetchedAt as number,
    expiresAt: e.expiresAt as number,
  };
}
