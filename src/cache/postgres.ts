/**
 * The shared label cache of the distributed mode: the `cache` table of
 * PostgreSQL, keyed as the embedded one, with an in-memory LRU in front. New
 * entries are kept until `writePending` puts them in the transaction that
 * stores the chunk they were classified for: a chunk's rows and its cache
 * entries commit together or not at all.
 */
import { LRUCache } from 'lru-cache';
import type { Labels } from '../labels.js';
import type { PgClient, PgPool } from '../store/postgres.js';
import { correctedLabels, deserialiseLabels, memoryHits, serialiseLabels, withStoredHits, type CacheHit, type LabelLookup } from './index.js';

export class PgLabelCache implements LabelLookup {
  private readonly memory = new LRUCache<string, Labels>({ max: 200_000 });
  private pending: Array<{ key: string; classifier: string; labels: Labels }> = [];

  constructor(private readonly pool: PgPool) {}

  async getMany(keys: readonly string[]): Promise<Array<CacheHit | undefined>> {
    const hits = memoryHits(this.memory, keys);
    const missing = keys.filter((_, i) => hits[i] === undefined);
    if (missing.length === 0) return hits;
    const { rows } = await this.pool.query<{ key: Buffer; labels: string }>('SELECT key, labels FROM cache WHERE key = ANY($1::bytea[])', [missing.map((key) => Buffer.from(key, 'base64url'))]);
    return withStoredHits(this.memory, keys, hits, new Map(rows.map((row) => [row.key.toString('base64url'), deserialiseLabels(row.labels)])));
  }

  async corrected(texts: readonly string[]): Promise<Array<Labels | undefined>> {
    if (texts.length === 0) return [];
    const { rows } = await this.pool.query<{ text: string; after: string }>('SELECT DISTINCT ON (text) text, after FROM corrections WHERE text = ANY($1::text[]) ORDER BY text, id DESC', [texts]);
    return correctedLabels(texts, new Map(rows.map((row) => [row.text, row.after])));
  }

  set(key: string, classifierId: string, labels: Labels): void {
    this.memory.set(key, labels);
    this.pending.push({ key, classifier: classifierId, labels });
  }

  /** Nothing here: entries are written by `writePending`, with the rows they were classified for. */
  flush(): void {}

  /** Writes the entries classified since the last call, in the caller's transaction (another worker may have written some first). */
  async writePending(client: PgClient): Promise<number> {
    const entries = this.pending;
    this.pending = [];
    if (entries.length === 0) return 0;
    await client.query('INSERT INTO cache (key, classifier, labels, created_at) SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT (key) DO NOTHING', [
      entries.map((entry) => Buffer.from(entry.key, 'base64url')),
      entries.map((entry) => entry.classifier),
      entries.map((entry) => serialiseLabels(entry.labels)),
      entries.map(() => Date.now()),
    ]);
    return entries.length;
  }

  /** Drops what a failed attempt classified: it is classified again with the retry. */
  discardPending(): void {
    this.pending = [];
  }
}
