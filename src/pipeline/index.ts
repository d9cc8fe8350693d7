/**
 * The pipeline, written once: input rows → cleaned → deduplicated → classified
 * rows, in input order, none lost. The CLI, the server and workers all call it.
 *
 *   const pipeline = createPipeline({ mode: 'fast' });
 *   for await (const row of pipeline.run(input.rows)) write(row);
 *   pipeline.finish(); // RunStats
 */
import { cleanTweet } from '../clean/index.js';
import { DedupIndex, type FirstSeen } from '../clean/dedup.js';
import { cacheKey, type LabelCache } from '../cache/index.js';
import { isOperatorAccount, loadClassifier, type ClassifierInput, type TweetClassifier } from '../classify/index.js';
import type { FieldValue, InputRow } from '../ingest/types.js';
import { CAUTIOUS_LABELS, type Labels } from '../labels.js';
import { StatsRecorder, type RunStats } from './stats.js';

export * from './stats.js';

export const MODES = ['fast', 'balanced', 'precise'] as const;
export type Mode = (typeof MODES)[number];

export interface ClassifiedRow {
  row: InputRow;
  textCleaned: string;
  labels: Labels;
  /** Id of the first row with the same cleaned text; empty for that first row. */
  duplicateOf: string;
  error?: string;
}

export interface PipelineOptions {
  mode?: Mode;
  classifier?: TweetClassifier;
  /** Labels of tweets classified in earlier runs; none when absent. */
  cache?: LabelCache;
}

export class UnsupportedModeError extends Error {
  override name = 'UnsupportedModeError';
}

/** Rows classified together; small enough that the first rows come out at once. */
const CHUNK_ROWS = 256;

const AUTHOR_FIELDS = ['author', 'user', 'screen_name', 'username', 'auteur'];

function authorOf(fields: Record<string, FieldValue>): string | undefined {
  for (const name of AUTHOR_FIELDS) {
    const value = fields[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export interface Pipeline {
  run(rows: AsyncIterable<InputRow>): AsyncGenerator<ClassifiedRow>;
  /** Adds the time a consumer spent writing, so the summary shows it as a phase. */
  timeWrite(ms: number): void;
  finish(): RunStats;
}

export function createPipeline(options: PipelineOptions = {}): Pipeline {
  const mode = options.mode ?? 'fast';
  if (mode !== 'fast') {
    throw new UnsupportedModeError(`mode "${mode}" needs the LLM phase, which this version does not have yet: use --mode fast`);
  }
  const classifier = options.classifier ?? loadClassifier();
  const recorder = new StatsRecorder();
  const seen = new DedupIndex();
  const { cache } = options;

  /** Labels of distinct tweets: from the cache where it has them, else from the classifier (and then cached). */
  function classifyUnique(inputs: readonly ClassifierInput[]): Labels[] {
    if (cache === undefined) return inputs.map((input) => classifier.classify(input));
    // What the classifier reads: the cleaned text, its emojis and whether the author is the operator.
    const keys = inputs.map(({ tweet, author }) => cacheKey(classifier.id, `${isOperatorAccount(author) ? 'operator' : ''}\n${tweet.text}\n${tweet.emojis.join('')}`));
    const hits = cache.getMany(keys);
    return inputs.map((input, i) => {
      const hit = hits[i];
      recorder.cacheLookup('classify', hit?.level ?? 'misses');
      if (hit !== undefined) return hit.labels;
      const labels = classifier.classify(input);
      cache.set(keys[i] as string, classifier.id, labels);
      return labels;
    });
  }

  /**
   * A chunk of rows in, the same rows classified out, in order. Chunks let the
   * cache read many keys per query; a text seen earlier, in this chunk or a
   * previous one, is not classified again.
   */
  function classifyChunk(rows: readonly InputRow[]): ClassifiedRow[] {
    const cleaned = rows.map((row) => (row.error === undefined ? cleanTweet(row.text) : undefined));
    const firstInChunk = new Map<string, number>();
    const unique: ClassifierInput[] = [];
    const uniqueIndexOf = rows.map((row, i) => {
      const tweet = cleaned[i];
      if (tweet === undefined || seen.get(tweet.key) !== undefined) return -1;
      const earlier = firstInChunk.get(tweet.key);
      if (earlier !== undefined) return -1;
      firstInChunk.set(tweet.key, unique.length);
      return unique.push({ tweet, author: authorOf(row.fields) }) - 1;
    });
    const started = performance.now();
    const labelsOfUnique = classifyUnique(unique);
    recorder.time('classify', performance.now() - started);
    return rows.map((row, i) => {
      const tweet = cleaned[i];
      if (tweet === undefined) {
        recorder.count(CAUTIOUS_LABELS, 'error');
        return { row, textCleaned: '', labels: CAUTIOUS_LABELS, duplicateOf: '', error: row.error };
      }
      const position = uniqueIndexOf[i] as number;
      if (position >= 0) {
        const labels = seen.remember(tweet.key, row.id, labelsOfUnique[position] as Labels);
        recorder.count(labels, 'unique');
        return { row, textCleaned: tweet.text, labels, duplicateOf: '' };
      }
      const first = seen.get(tweet.key) as FirstSeen;
      recorder.count(first.labels, 'duplicate');
      return { row, textCleaned: tweet.text, labels: first.labels, duplicateOf: first.id };
    });
  }

  return {
    async *run(rows) {
      let chunk: InputRow[] = [];
      for await (const row of rows) {
        chunk.push(row);
        if (chunk.length === CHUNK_ROWS) {
          yield* classifyChunk(chunk);
          chunk = [];
        }
      }
      yield* classifyChunk(chunk);
    },
    timeWrite: (ms) => recorder.time('write', ms),
    finish: () => {
      cache?.flush();
      return recorder.finish();
    },
  };
}
