/**
 * The label cache: an in-memory LRU (bounded by entries and bytes) in front of
 * the `cache` table of the embedded database. Keys hash the classifier's id
 * (name, version, model or prompt hash) with the text it classified, so a new
 * model or prompt never reads old entries. Writes are batched in transactions;
 * a process killed mid-run loses at most one batch.
 */
import { hash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import type { Labels } from '../labels.js';
import type { Db } from '../store/database.js';

export interface CacheLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_CACHE_LIMITS: CacheLimits = { maxEntries: 200_000, maxBytes: 64 * 2 ** 20 };

export type CacheLevel = 'memory' | 'disk';

export interface CacheHit {
  labels: Labels;
  level: CacheLevel;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  byClassifier: Record<string, number>;
}

/**
 * Entries per write transaction: 500 at first, doubling with every batch up to
 * 16,000. Each commit rewrites the index pages it touched into the WAL, so big
 * runs need big batches (1M rows: 90 s with 500, see the README); small runs
 * still reach the disk early, and a killed run loses at most one batch.
 */
const FIRST_WRITE_BATCH = 500;
const MAX_WRITE_BATCH = 16_000;

/** The key of a classification: what classified it and the text (and context) it read; 128 bits, base64url. */
export function cacheKey(classifierId: string, text: string): string {
  return hash('sha256', `${classifierId}\0${text}`, 'buffer').toString('base64url', 0, 16);
}

/** Stored as `negatif|oui|haute|fibre|panne_technique|0.734`: half the bytes of JSON, and faster both ways. */
export function serialiseLabels(labels: Labels): string {
  return `${labels.sentiment}|${labels.is_claim}|${labels.urgence}|${labels.topics}|${labels.incident}|${labels.confidence}`;
}

export function deserialiseLabels(stored: string): Labels {
  const [sentiment, isClaim, urgence, topics, incident, confidence] = stored.split('|');
  return { sentiment, is_claim: isClaim, urgence, topics, incident, confidence: Number(confidence) } as Labels;
}

/**
 * What the pipeline needs of a cache: the embedded `LabelCache`, or a shared
 * one whose reads go over the network (and so may be asynchronous).
 */
export interface LabelLookup {
  getMany(keys: readonly string[]): Array<CacheHit | undefined> | Promise<Array<CacheHit | undefined>>;
  set(key: string, classifierId: string, labels: Labels): void;
  /**
   * The labels people gave these cleaned texts (the latest correction of each),
   * in order; undefined where nobody corrected it. Read from the corrections
   * themselves, never kept in memory: a text corrected again reads its new labels.
   */
  corrected(texts: readonly string[]): Array<Labels | undefined> | Promise<Array<Labels | undefined>>;
  /** Writes what is pending; a cache that writes elsewhere (in the same transaction as a chunk's rows) may keep it for that. */
  flush(): void;
}

/** The hits of the memory level, in the order of `keys`. */
export function memoryHits(memory: LRUCache<string, Labels>, keys: readonly string[]): Array<CacheHit | undefined> {
  return keys.map((key): CacheHit | undefined => {
    const labels = memory.get(key);
    return labels === undefined ? undefined : { labels, level: 'memory' };
  });
}

/** The memory hits completed with what the stored level `found`; those are kept in memory from now on. */
export function withStoredHits(memory: LRUCache<string, Labels>, keys: readonly string[], hits: ReadonlyArray<CacheHit | undefined>, found: ReadonlyMap<string, Labels>): Array<CacheHit | undefined> {
  return keys.map((key, i) => {
    const hit = hits[i];
    if (hit !== undefined) return hit;
    const labels = found.get(key);
    if (labels === undefined) return undefined;
    memory.set(key, labels);
    return { labels, level: 'disk' };
  });
}

/** The labels of each text from its latest correction (`corrections.after` by text); a person's labels are certain. */
export function correctedLabels(texts: readonly string[], latestAfter: ReadonlyMap<string, string>): Array<Labels | undefined> {
  return texts.map((text) => {
    const after = latestAfter.get(text);
    return after === undefined ? undefined : { ...(JSON.parse(after) as Omit<Labels, 'confidence'>), confidence: 1 };
  });
}

/** Keys read from disk per query: one `IN (…)` query costs about what three single lookups do. */
const READ_BATCH = 256;

export class LabelCache implements LabelLookup {
  private readonly memory: LRUCache<string, Labels>;
  private readonly pending: Array<[key: Buffer, classifier: string, labels: string]> = [];
  private writeBatch = FIRST_WRITE_BATCH;
  private readonly selectBatch;
  private readonly selectCorrections;
  private readonly anyCorrection;
  private readonly insertBatch;

  constructor(private readonly db: Db | undefined, limits: CacheLimits = DEFAULT_CACHE_LIMITS) {
    this.memory = new LRUCache<string, Labels>({
      max: limits.maxEntries,
      maxSize: limits.maxBytes,
      // Key, five short strings and a number: about 200 bytes on the V8 heap.
      sizeCalculation: (labels, key) => 120 + key.length + labels.topics.length + labels.incident.length,
    });
    const placeholders = new Array<string>(READ_BATCH).fill('?').join(',');
    this.selectBatch = db?.prepare<Buffer[], { key: Buffer; labels: string }>(`SELECT key, labels FROM cache WHERE key IN (${placeholders})`);
    this.anyCorrection = db?.prepare<[], { found: number }>('SELECT 1 AS found FROM corrections LIMIT 1');
    this.selectCorrections = db?.prepare<string[], { text: string; after: string }>(`SELECT text, after FROM corrections WHERE text IN (${placeholders}) ORDER BY id`);
    const insert = db?.prepare<[Buffer, string, string, number]>('INSERT OR IGNORE INTO cache (key, classifier, labels, created_at) VALUES (?, ?, ?, ?)');
    this.insertBatch = db?.transaction((rows: ReadonlyArray<[Buffer, string, string]>) => {
      const now = Date.now();
      for (const [key, classifier, labels] of rows) insert?.run(key, classifier, labels, now);
    });
  }

  /** The cached labels of each key (memory first, then disk), in the order of `keys`. */
  getMany(keys: readonly string[]): Array<CacheHit | undefined> {
    const hits = memoryHits(this.memory, keys);
    const select = this.selectBatch;
    if (select === undefined) return hits;
    const missing = keys.filter((_, i) => hits[i] === undefined).map((key) => Buffer.from(key, 'base64url'));
    const found = new Map<string, Labels>();
    for (let start = 0; start < missing.length; start += READ_BATCH) {
      const batch = missing.slice(start, start + READ_BATCH);
      // The statement has a fixed arity: a short batch repeats its first key.
      while (batch.length < READ_BATCH) batch.push(batch[0] as (typeof batch)[number]);
      for (const row of select.all(...batch)) found.set(row.key.toString('base64url'), deserialiseLabels(row.labels));
    }
    return withStoredHits(this.memory, keys, hits, found);
  }

  corrected(texts: readonly string[]): Array<Labels | undefined> {
    const select = this.selectCorrections;
    // Most data directories have no correction: one row read instead of a 256-key lookup per chunk.
    if (select === undefined || this.anyCorrection?.get() === undefined) return texts.map(() => undefined);
    const latest = new Map<string, string>();
    for (let start = 0; start < texts.length; start += READ_BATCH) {
      const batch = texts.slice(start, start + READ_BATCH);
      while (batch.length < READ_BATCH) batch.push(batch[0] as string);
      // In id order: a later correction of the same text replaces an earlier one.
      for (const row of select.all(...batch)) latest.set(row.text, row.after);
    }
    return correctedLabels(texts, latest);
  }

  set(key: string, classifierId: string, labels: Labels): void {
    this.memory.set(key, labels);
    if (this.db === undefined) return;
    this.pending.push([Buffer.from(key, 'base64url'), classifierId, serialiseLabels(labels)]);
    if (this.pending.length >= this.writeBatch) {
      this.flush();
      this.writeBatch = Math.min(MAX_WRITE_BATCH, this.writeBatch * 2);
    }
  }

  /** Writes the pending entries; call at the end of a run. */
  flush(): void {
    if (this.pending.length === 0) return;
    this.insertBatch?.(this.pending);
    this.pending.length = 0;
  }

  /** Entries in memory, for the LRU tests and the server's metrics. */
  get memoryEntries(): number {
    return this.memory.size;
  }
}

export function cacheStats(db: Db): CacheStats {
  const rows = db.prepare<[], { classifier: string; entries: number }>('SELECT classifier, COUNT(*) AS entries FROM cache GROUP BY classifier ORDER BY entries DESC').all();
  // The file and its write-ahead log: recent writes live in the log until a checkpoint.
  const bytes = [db.name, `${db.name}-wal`].reduce((sum, path) => sum + (existsSync(path) ? statSync(path).size : 0), 0);
  return {
    entries: rows.reduce((sum, row) => sum + row.entries, 0),
    bytes,
    byClassifier: Object.fromEntries(rows.map((row) => [row.classifier, row.entries])),
  };
}

/** Deletes every entry (or those of one classifier); returns how many. */
export function clearCache(db: Db, classifierId?: string): number {
  const result = classifierId === undefined ? db.prepare('DELETE FROM cache').run() : db.prepare('DELETE FROM cache WHERE classifier = ?').run(classifierId);
  db.exec('VACUUM');
  return result.changes;
}
